import json, numpy as np
from scipy.stats import spearmanr
A=json.load(open('act.json')); act=np.array(A['actMean'])
top10=set(np.argsort(-act)[:10])
out={}
def build(p):
    S=json.load(open(f'slices-l{p}.json'))
    V=[np.array(s['v']) for s in S]
    W=[V[0],V[1],V[2]]; N=[]; R=[]; RF=[]
    i=3
    for b in range(6):
        n1,n2,qkv,proj,fc1,fc2=V[i:i+6]; i+=6
        N+= [n1,n2]; R+=[qkv,fc1]; W+=[proj,fc2]; RF+=[qkv*n1, fc1*n2]
    nf,head=V[i:i+2]; N.append(nf); R.append(head); RF.append(head*nf)
    return dict(W=np.array(W),N=np.array(N),R=np.array(R),RF=np.array(RF),ALL=np.array(V))
def nm(M): return M/M.mean(1,keepdims=True)
for p in (1,2):
    d=build(p)
    var={}
    var['current']=d['ALL'].mean(0)
    var['slice-norm']=nm(d['ALL']).mean(0)
    var['W']=d['W'].mean(0)
    var['Wn']=nm(d['W']).mean(0)
    var['W-nopatchpos']=d['W'][3:].mean(0)
    var['RF']=d['RF'].mean(0)
    var['RFn']=nm(d['RF']).mean(0)
    var['Wn+RFn']=np.concatenate([nm(d['W']),nm(d['RF'])]).mean(0)
    var['W+RF sums']=d['W'].sum(0)+d['RF'].sum(0)
    var['Wn*RFn']=nm(d['W']).mean(0)*nm(d['RF']).mean(0)
    var['W*RF']=d['W'].mean(0)*d['RF'].mean(0)
    var['W+RF raw mean']=np.concatenate([d['W'],d['RF']]).mean(0)
    var['W+RF+N (no fold)n']=np.concatenate([nm(d['W']),nm(d['R']),nm(d['N'])]).mean(0)
    # per-block: writer norms of block bring; 
    for k,v in var.items():
        r=spearmanr(v,act).statistic
        rem=set(np.argsort(v,kind='stable')[:int(192*0.3)])
        print(f'L{p} {k:22s} rho {r:+.3f} top10rem {len(rem&top10)} spread {v.min()/v.mean():.2f}-{v.max()/v.mean():.2f}')
        out.setdefault(k,{})[f'l{p}']=list(map(float,v))
    out.setdefault('activation(data)',{})[f'l{p}']=list(map(float,act))
json.dump(out,open('variants.json','w'))
