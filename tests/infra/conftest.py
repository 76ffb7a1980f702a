"""Infra suite: synthesize the CDK app once per session (`python -m infra.app`, cdk-nag included).

`cdk_templates` maps stack name to its CloudFormation template; a failing synth (cdk-nag finding, error)
fails every infra test with the report. Every test under tests/infra is marked `infra`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.definitions import ROOT
from infra.stacks import names

INFRA_TESTS_DIR = Path(__file__).resolve().parent
BUILD_DIR = ROOT / "build"
CDK_OUT_DIR = BUILD_DIR / "cdk.out-test"
SYNTH_TIMEOUT_SECONDS = 300

Template = dict[str, Any]
# Context the test synth is given on top of cdk.json's (CDK_CONTEXT_JSON).
TEST_INCIDENT_TRACKER_URL = "https://incidents.operator.example/api"
TEST_INCIDENT_TRACKER_TOKEN_SECRET_NAME = "operator/incident-tracker-token"
TEST_CONTEXT: dict[str, str] = {
    names.INCIDENT_TRACKER_URL_CONTEXT: TEST_INCIDENT_TRACKER_URL,
    names.INCIDENT_TRACKER_TOKEN_SECRET_NAME_CONTEXT: TEST_INCIDENT_TRACKER_TOKEN_SECRET_NAME,
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if INFRA_TESTS_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.infra)


def synth_environment(out_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
            "JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(BUILD_DIR / "jsii-cache"),
            "CDK_HOME": str(BUILD_DIR / "cdk-home"),
            "CDK_OUTDIR": str(out_dir),
            "CDK_DEFAULT_REGION": names.DEFAULT_REGION,
        }
    )
    env.pop("CDK_DEFAULT_ACCOUNT", None)  # templates as an account-agnostic synth produces them
    env.pop("CDK_CONTEXT_JSON", None)
    # Issue 8: the incident tracker's contexts (the operator's tracker and its token's secret), so that the synth
    # shows their variables and grant (tests/infra/test_stack.py); without them both variables are empty.
    env["CDK_CONTEXT_JSON"] = json.dumps(TEST_CONTEXT)
    return env


@dataclass(frozen=True)
class Synth:
    out_dir: Path
    seconds: float
    stderr: str

    @property
    def manifest(self) -> dict[str, Any]:
        return dict(json.loads((self.out_dir / "manifest.json").read_text()))

    @property
    def validation_report(self) -> dict[str, Any]:
        return dict(json.loads((self.out_dir / "validation-report.json").read_text()))

    def stack_artifacts(self) -> dict[str, dict[str, Any]]:
        return {
            name: artifact
            for name, artifact in self.manifest["artifacts"].items()
            if artifact["type"] == "aws:cloudformation:stack"
        }

    def template_path(self, stack: str) -> Path:
        return self.out_dir / self.stack_artifacts()[stack]["properties"]["templateFile"]

    def stack_metadata(self, stack: str) -> dict[str, list[dict[str, Any]]]:
        """Construct path -> metadata entries (logical ids, acknowledged cdk-nag rules, warnings)."""
        artifact = self.stack_artifacts()[stack]
        metadata = dict(artifact.get("metadata", {}))
        if "additionalMetadataFile" in artifact:
            metadata.update(json.loads((self.out_dir / artifact["additionalMetadataFile"]).read_text()))
        return metadata

    def logical_id(self, stack: str, path: str) -> str:
        """Logical id of the CloudFormation resource at construct path `path` (e.g. `Api/RestApi`)."""
        entries = self.stack_metadata(stack).get(f"/{stack}/{path}", [])
        ids = [entry["data"] for entry in entries if entry["type"] == "aws:cdk:logicalId"]
        if len(ids) != 1:
            raise KeyError(f"no single resource at /{stack}/{path}: {ids}")
        return str(ids[0])

    def acknowledgments(self) -> dict[tuple[str, str], str]:
        """(construct path, rule id) -> reason, for every cdk-nag acknowledgment of every stack."""
        found: dict[tuple[str, str], str] = {}
        for stack in self.stack_artifacts():
            for path, entries in self.stack_metadata(stack).items():
                for entry in entries:
                    if entry["type"] == "aws:cdk:acknowledged-rules":
                        for rule_id, reason in entry["data"].items():
                            found[(path, rule_id.removeprefix("Annotation::"))] = reason
        return found


def _forget_previous_results(out_dir: Path) -> None:
    """Templates, manifest and report of an earlier run must not pass for this run's. Asset directories stay:
    CDK reuses them by hash (the shared layer is not rebuilt)."""
    if not out_dir.is_dir():
        return
    for path in out_dir.iterdir():
        if not path.name.startswith("asset."):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


def _prune_unused_assets(out_dir: Path) -> None:
    used: set[str] = set()
    for assets_file in out_dir.glob("*.assets.json"):
        for asset in json.loads(assets_file.read_text()).get("files", {}).values():
            used.add(asset["source"]["path"])
    for path in out_dir.glob("asset.*"):
        if path.name not in used:
            shutil.rmtree(path) if path.is_dir() else path.unlink()


@pytest.fixture(scope="session")
def cdk_out_dir() -> Path:
    return CDK_OUT_DIR


@pytest.fixture(scope="session")
def synth(cdk_out_dir: Path) -> Synth:
    _forget_previous_results(cdk_out_dir)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "infra.app"],
        cwd=ROOT,
        env=synth_environment(cdk_out_dir),
        capture_output=True,
        text=True,
        timeout=SYNTH_TIMEOUT_SECONDS,
        check=False,
    )
    seconds = time.monotonic() - started
    if result.returncode != 0:
        report_file = cdk_out_dir / "validation-report.json"
        report = report_file.read_text() if report_file.is_file() else "(no validation report)"
        pytest.fail(
            f"`python -m infra.app` exited {result.returncode} after {seconds:.1f}s\n"
            f"--- stderr (end) ---\n{result.stderr[-8000:]}\n--- cdk-nag validation report ---\n{report}",
            pytrace=False,
        )
    _prune_unused_assets(cdk_out_dir)
    return Synth(out_dir=cdk_out_dir, seconds=seconds, stderr=result.stderr)


@pytest.fixture(scope="session")
def cdk_templates(synth: Synth) -> dict[str, Template]:
    return {stack: dict(json.loads(synth.template_path(stack).read_text())) for stack in synth.stack_artifacts()}


@pytest.fixture(scope="session")
def data_template(cdk_templates: dict[str, Template]) -> Template:
    return cdk_templates[names.DATA_STACK]


@pytest.fixture(scope="session")
def service_template(cdk_templates: dict[str, Template]) -> Template:
    return cdk_templates[names.SERVICE_STACK]


# Template helpers (plain JSON: no CDK import in the test process).


def resources_of_type(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def get_att(logical_id: str, attribute: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def iam_statements(template: Template) -> list[tuple[str, dict[str, Any]]]:
    """(logical id, statement) for every statement of every identity policy in the template."""
    found: list[tuple[str, dict[str, Any]]] = []
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        documents: list[dict[str, Any]] = []
        if resource["Type"] == "AWS::IAM::Role":
            documents = [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents = [properties["PolicyDocument"]]
        for document in documents:
            found.extend((logical_id, statement) for statement in as_list(document["Statement"]))
    return found
