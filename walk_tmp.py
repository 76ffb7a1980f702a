import os, json
from infra.openapi import build_document, _PLACEHOLDER_ENV
for k,v in _PLACEHOLDER_ENV.items(): os.environ.setdefault(k,v)
from infra import definitions as d
from infra.local.gateway import load_handler
def lax(schema, path, out, seen):
    if isinstance(schema, dict):
        t = schema.get("type")
        if t in ("bool","int","float") and not schema.get("strict"):
            out.append((path, t))
        for k,v in schema.items():
            lax(v, path + (k,) if k in ("fields",) or isinstance(v,(dict,list)) else path, out, seen)
    elif isinstance(schema, list):
        for v in schema: lax(v, path, out, seen)
for f in d.FUNCTIONS:
    if f is d.AUTHORIZER or not d.has_routes(f): continue
    app = load_handler(f).app
    for r in app._static_routes + app._dynamic_routes:
        for p in r.dependant.body_params:
            m = p.type_
            if hasattr(m, "model_rebuild"):
                m.model_rebuild()
                out=[]
                lax(m.__pydantic_core_schema__, (), out, set())
                if out: print(r.method, r.path, m.__name__, out[:5])
