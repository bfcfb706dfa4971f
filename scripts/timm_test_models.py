#!/usr/bin/python3
"""State-dict names and shapes of timm's small test models, for test/models/models.test.ts.

fundus-train registers `test_vit` and `test_efficientnet` as timm's networks of those names; the
test checks that our state dict (PyTorch layout) has exactly these keys and shapes, so an export
loads with timm.create_model(name).load_state_dict. Also records each model's parameter count and
the layer ids of timm's param_groups_layer_decay for test_efficientnet (group_matcher semantics).
Written to test/models/timm-test-models.json; the tests read that file and never run Python.

Run with Debian's PyTorch and timm's source (https://github.com/huggingface/pytorch-image-models):
    /usr/bin/python3 scripts/timm_test_models.py /path/to/pytorch-image-models
"""
import json
import os
import sys

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else "/tmp/timm")
import timm  # noqa: E402
from timm.models import group_parameters  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "models", "timm-test-models.json")
# Built as the test builds them: 3 classes at the native 160 px.
NUM_CLASSES = 3

out = {"timm_version": timm.__version__, "num_classes": NUM_CLASSES, "models": {}}
for name in ["test_vit", "test_efficientnet"]:
    model = timm.create_model(name, num_classes=NUM_CLASSES)
    shapes = {k: list(v.shape) for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    layer_ids = group_parameters(model, model.group_matcher(coarse=False), reverse=True)
    out["models"][name] = {
        "params": sum(p.numel() for p in model.parameters()),
        "shapes": shapes,
        "layer_ids": {k: int(v) for k, v in layer_ids.items()},
        "no_weight_decay": sorted(model.no_weight_decay()) if hasattr(model, "no_weight_decay") else [],
    }

# Layer ids of timm's param_groups_layer_decay for small models of the other families, built with these
# create_model kwargs (the test builds ours with the same architecture through model.args).
SMALL = {
    "swinv2_tiny_window8_256": dict(img_size=32, embed_dim=16, depths=(2, 1), num_heads=(1, 2), window_size=4),
    "resnet50": dict(layers=(1, 2), channels=(8, 16), stem_width=8),
    "densenet121": dict(growth_rate=8, block_config=(2, 2)),
    "efficientnet_b0": dict(),
}
out["layer_ids"] = {}
for name, kwargs in SMALL.items():
    model = timm.create_model(name, num_classes=NUM_CLASSES, **kwargs)
    layer_ids = group_parameters(model, model.group_matcher(coarse=False), reverse=True)
    out["layer_ids"][name] = {"kwargs": kwargs, "ids": {k: int(v) for k, v in layer_ids.items()}}

with open(OUT, "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
    f.write("\n")
print(f"wrote {OUT}")
