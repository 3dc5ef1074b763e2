"""A stand-in for `vllm serve … --distributed-executor-backend ray`: it connects to the Ray
cluster the app formed, asks for the placement vLLM asks for (one bundle of one GPU per
worker, T x P bundles, the first on the driver's node, strategy PACK), waits until Ray
places it, and prints which Ray node each bundle landed on (one JSON line).

Usage: python standin_engine.py <ray address> <tensor parallel> <pipeline parallel>
"""

import json
import sys

import ray
from ray.util.placement_group import placement_group, placement_group_table


def main():
    address, tp, pp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ray.init(address=address, logging_level="ERROR", log_to_driver=False)
    driver_ip = ray.util.get_node_ip_address()
    bundles = [{"GPU": 1.0} for _ in range(tp * pp)]
    # vLLM keeps the first worker on the driver's node.
    bundles[0][f"node:{driver_ip}"] = 0.001
    group = placement_group(bundles, strategy="PACK")
    ray.get(group.ready(), timeout=120)
    table = placement_group_table(group)
    nodes = {n["NodeID"]: n for n in ray.nodes() if n.get("Alive")}
    landed = {}
    for bundle, node_id in sorted(table["bundles_to_node_id"].items(), key=lambda kv: int(kv[0])):
        node = nodes[node_id]
        landed[str(bundle)] = {
            "node_id": node_id,
            "raylet_port": node["NodeManagerPort"],
            "head": bool(node["Resources"].get("node:__internal_head__")),
        }
    print(json.dumps({"state": table["state"], "bundles": landed}), flush=True)
    ray.util.remove_placement_group(group)


if __name__ == "__main__":
    main()
