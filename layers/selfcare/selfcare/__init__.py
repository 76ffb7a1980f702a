"""Selfcare's shared package: models, logic, data access, ports and the auth policy.

Shipped to Lambda as a layer (infra/layer.py) and installed editable in the dev environment.
Layers: handler (functions/<capability>/handler.py) -> logic -> dal; models shared; only the dal
and the port adapters talk to AWS (botocore, through selfcare.aws).
"""

import os as _os

if _os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
    # In Lambda, the init phase runs without the garbage collector (it found nothing to free there and cost
    # ~10 % of a cold start): the handler's module ends with `selfcare.coldstart.loaded()`, which freezes what
    # init built and enables the collector again. See selfcare/coldstart.py.
    import gc as _gc

    _gc.disable()
