import json, numpy as np
from scipy.stats import spearmanr
A=json.load(open('act.json')); act=np.array(A['actMean']); acts=np.array(A['act'])
top10=set(np.argsort(-act)[:10])
print('act median', np.median(act), 'top10', np.sort(act)[-10:].round(2))
print('per-layer act ratios top/median', (acts.max(1)/np.median(acts,1)).round(1))
def kind(s):
    i=s['init']
    if i in('patch_embed.weight','cls_token','pos_embed'): return 'W'
    if 'norm' in i: return 'N'
    if i=='head.weight': return 'R'
    return None
for p in (1,2):
    S=json.load(open(f'slices-l{p}.json'))
    # assign reader/writer: within block: order qkv(0) R, proj(1) W, fc1(0) R, fc2(1) W -> axis 0 = reader (in-out layout), axis 1 = writer
    ks=[]
    for s in S:
        k=kind(s)
        if k is None: k='R' if s['axis']==0 else 'W'
        ks.append(k)
    V=np.array([s['v'] for s in S])
    print(f'\n=== L{p}', {k:ks.count(k) for k in set(ks)})
    def ev(name, sc):
        r=spearmanr(sc,act).statistic
        rem=set(np.argsort(sc,kind='stable')[:int(192*0.3)])
        print(f'{name:40s} spearman {r:+.3f} top10 removed@0.3 {len(rem&top10)}  spread {sc.min()/sc.mean():.2f}-{sc.max()/sc.mean():.2f}')
    ks=np.array(ks)
    ev('current mean raw', V.mean(0))
    Vn=V/V.mean(1,keepdims=True)
    ev('mean of per-slice normalised', Vn.mean(0))
    for k in 'WNR': ev(f'only {k} raw mean', V[ks==k].mean(0)); ev(f'only {k} normalised', Vn[ks==k].mean(0))
    # per-slice individual correlations
    for s,k,v in zip(S,ks,V):
        print(f'   {k} {s["init"]}@{s["axis"]}: rho {spearmanr(v,act).statistic:+.2f} mean {v.mean():.3g}')
