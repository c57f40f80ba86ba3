"""examples/python/pipeline.py: the demo's three kernels from Python, checked against its
NumPy reference, on cpu_sim and (where it runs) OpenCL."""
import pathlib
import subprocess
import sys

import pytest

from conftest import open_runtime

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python" / "pipeline.py"


@pytest.mark.parametrize("backend", ["cpu_sim", "opencl"])
def test_the_pipeline_example_matches_its_reference(backend):
    open_runtime(backend).close()  # skips, with the reason, where the backend cannot run
    done = subprocess.run([sys.executable, str(EXAMPLE), "--events", "20000", "--backend", backend],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "alerts match the NumPy reference" in done.stdout
