# A stand-in for the `safetensors` package where it is not installed (Debian has no python3-safetensors):
# only `safetensors.torch.load_file`, enough to run the recipe `fundus-train export` prints. The tests put
# this folder on PYTHONPATH only when `import safetensors` fails.
