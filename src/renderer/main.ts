/** Renderer entry: creates the Vue app with Pinia and connects it to the API of the shell it runs in. */
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { createApiClient } from './api';
import { useAppStore } from './stores/app';
import './styles/app.css';

const app = createApp(App);
app.use(createPinia());
app.mount('#app');
void useAppStore().init(createApiClient());
