"""The scan-path benchmark (`python -m bench`, what `bench/__main__.py` runs): `run` measures
its phases on a scratch stack, `report` writes its section of BENCHMARKS.md."""
