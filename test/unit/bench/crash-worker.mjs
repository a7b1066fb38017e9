// Test double of the benchmark worker: reads the request, then dies the way the test asks (exit code or signal).
process.once('message', (req) => {
  if (req.modelPath === 'exit') process.exit(3);
  if (req.modelPath === 'hang') setInterval(() => undefined, 1000);
  else process.kill(process.pid, 'SIGKILL');
});
