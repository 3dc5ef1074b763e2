"""The manifests of `duows export kubernetes` against Kubernetes' published schemas.

Core objects (Deployment, Service, ConfigMap, PersistentVolumeClaim) are validated with the
`kubernetes-validate` package's schemas in strict mode (unknown fields refused). No package
ships the LeaderWorkerSet CRD's schema: its structure is checked against
`leaderworkerset-v1.schema.json` (written from the API's documentation), and its leader and
worker pod templates against Kubernetes' own PodTemplateSpec schema.

Run: DUOWS_BIN=target/debug/duows <python with kubernetes-validate> -m unittest discover -s tests/kubernetes
"""

import copy
import json
import os
import pathlib
import subprocess
import tempfile
import unittest

import jsonschema
import kubernetes_validate
import yaml

KUBERNETES = "1.37"
HERE = pathlib.Path(__file__).parent
LWS_SCHEMA = json.loads((HERE / "leaderworkerset-v1.schema.json").read_text())


def export(*args):
    """Runs the export in a fresh data folder; returns the objects of its YAML stream."""
    with tempfile.TemporaryDirectory() as home:
        done = subprocess.run(
            [os.environ.get("DUOWS_BIN", "target/debug/duows"), "export", "kubernetes", *args],
            env={**os.environ, "DUOWS_HOME": home},
            capture_output=True,
            text=True,
            check=True,
        )
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc is not None]


def check(obj):
    """Validates one object; raises when it breaks its schema."""
    if obj["kind"] == "LeaderWorkerSet":
        jsonschema.validate(obj, LWS_SCHEMA)
        group = obj["spec"]["leaderWorkerTemplate"]
        for role in ("leaderTemplate", "workerTemplate"):
            kubernetes_validate.validate(
                {"apiVersion": "v1", "kind": "PodTemplate",
                 "metadata": {"name": f"{obj['metadata']['name']}-{role}"},
                 "template": group[role]},
                KUBERNETES, strict=True)
    else:
        kubernetes_validate.validate(obj, KUBERNETES, strict=True)


class ManifestsTest(unittest.TestCase):
    def test_one_node_is_valid_kubernetes(self):
        objects = export("--model", "gpt-oss-120b", "--gpus", "1xH100-80GB", "--namespace", "duo")
        kinds = sorted(o["kind"] for o in objects)
        self.assertEqual(kinds.count("Deployment"), 2, kinds)  # the engine and the gateway
        self.assertEqual(kinds.count("Service"), 2, kinds)
        self.assertNotIn("LeaderWorkerSet", kinds)
        for obj in objects:
            with self.subTest(kind=obj["kind"], name=obj["metadata"]["name"]):
                check(obj)
                self.assertEqual(obj["metadata"]["namespace"], "duo")

    def test_two_nodes_are_a_valid_leaderworkerset(self):
        objects = export("--model", "zai-org/GLM-5.1-FP8", "--nodes", "2", "--gpus", "8xH100-80GB")
        lws = [o for o in objects if o["kind"] == "LeaderWorkerSet"]
        self.assertEqual(len(lws), 1)
        self.assertEqual(lws[0]["spec"]["leaderWorkerTemplate"]["size"], 2)
        script = lws[0]["spec"]["leaderWorkerTemplate"]["leaderTemplate"]["spec"]["containers"][0]["args"][0]
        self.assertIn("--pipeline-parallel-size 2 --distributed-executor-backend ray", script)
        for obj in objects:
            with self.subTest(kind=obj["kind"], name=obj["metadata"]["name"]):
                check(obj)

    def test_the_check_refuses_broken_manifests(self):
        objects = export("--model", "zai-org/GLM-5.1-FP8", "--nodes", "2", "--gpus", "8xH100-80GB")
        lws = next(o for o in objects if o["kind"] == "LeaderWorkerSet")
        deployment = next(o for o in objects if o["kind"] == "Deployment")
        broken = []
        b = copy.deepcopy(lws)
        b["spec"]["leaderWorkerTemplate"]["restartPolicy"] = "Always"
        broken.append(b)
        b = copy.deepcopy(lws)
        b["spec"]["leaderWorkerTemplate"]["workerTemplate"]["spec"]["containers"][0]["gpus"] = 8
        broken.append(b)
        b = copy.deepcopy(deployment)
        del b["spec"]["template"]["spec"]["containers"][0]["name"]
        broken.append(b)
        b = copy.deepcopy(deployment)
        b["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["pth"] = "/health"
        broken.append(b)
        for obj in broken:
            with self.assertRaises((jsonschema.ValidationError, kubernetes_validate.ValidationError)):
                check(obj)

    def test_files_in_a_folder_hold_the_same_objects(self):
        stream = export("--model", "gpt-oss-120b", "--gpus", "1xH100-80GB")
        with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as out:
            subprocess.run(
                [os.environ.get("DUOWS_BIN", "target/debug/duows"), "export", "kubernetes",
                 "--model", "gpt-oss-120b", "--gpus", "1xH100-80GB", "--out", out],
                env={**os.environ, "DUOWS_HOME": home}, capture_output=True, check=True)
            files = sorted(pathlib.Path(out).glob("*.yaml"))
            from_files = [yaml.safe_load(f.read_text()) for f in files]
        key = lambda o: (o["kind"], o["metadata"]["name"])
        self.assertEqual(sorted(from_files, key=key), sorted(stream, key=key))


if __name__ == "__main__":
    unittest.main()
