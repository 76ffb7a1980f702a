"""Selfcare's shared package: models, logic, data access, ports and the auth policy.

Shipped to Lambda as a layer (infra/layer.py) and installed editable in the dev environment.
Layers: handler (functions/<capability>/handler.py) -> logic -> dal; models shared; only the dal
and the port adapters talk to AWS (botocore, through selfcare.aws).
"""
