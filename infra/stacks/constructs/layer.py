"""The shared layer as a CDK asset, built by infra/layer.py on this machine (no Docker)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling, aws_lambda
from constructs import Construct

from infra import definitions, layer


@jsii.implements(ILocalBundling)
class LocalLayerBundling:
    """CDK calls this before any Docker bundling; it builds the layer into CDK's output directory."""

    def __init__(self, fingerprint: str) -> None:
        self._fingerprint = fingerprint

    def try_bundle(self, output_dir: str, options: Any = None, **_: Any) -> bool:
        layer.build_layer_cached(Path(output_dir), self._fingerprint)
        return True


def layer_code() -> aws_lambda.Code:
    """Code of the shared layer. The asset hash is the layer's content fingerprint (package sources, pinned
    requirements, target, build recipe): CDK skips bundling when cdk.out already holds that asset."""
    fingerprint = layer.layer_fingerprint()
    return aws_lambda.Code.from_asset(
        str(definitions.LAYER_SOURCE_DIR),
        asset_hash=fingerprint,
        asset_hash_type=AssetHashType.CUSTOM,
        bundling=BundlingOptions(
            # Never pulled: the local bundler always succeeds, so Docker is not used.
            image=DockerImage.from_registry("unused"),
            local=LocalLayerBundling(fingerprint),
        ),
    )


class SharedLayer(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: aws_lambda.Runtime,
        architecture: aws_lambda.Architecture,
    ) -> None:
        super().__init__(scope, construct_id)
        self.layer = aws_lambda.LayerVersion(
            self,
            "Layer",
            code=layer_code(),
            compatible_runtimes=[runtime],
            compatible_architectures=[architecture],
            description="selfcare package and its runtime dependencies (see infra/layer.py)",
        )
