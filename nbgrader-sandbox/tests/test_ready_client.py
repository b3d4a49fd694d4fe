"""A forked kernel's client is ready once the kernel answered, and misses nothing of the first cell."""
import asyncio
import sys

import pytest
from nbformat.v4 import new_code_cell, new_notebook
from nbclient import NotebookClient

from nbgrader_sandbox.kernels import ForkingKernelManager, ReadyClient

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="kernels are forked on Linux only")


def test_client_is_ready_and_the_kernel_answers():
    async def start_and_ask():
        km = ForkingKernelManager(preload=["numpy"])
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            reply = await kc.execute_interactive("print(6 * 7)", timeout=30, output_hook=outputs.append)
            return kc, reply
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)

    outputs = []
    kc, reply = asyncio.run(start_and_ask())
    assert isinstance(kc, ReadyClient)
    assert reply["content"]["status"] == "ok"
    assert [m["content"]["text"] for m in outputs if m["msg_type"] == "stream"] == ["42\n"]


def test_output_of_the_first_cell_arrives(tmp_path):
    """The first cell's output is the kernel's first answer to nbclient: nothing of it is flushed away."""
    nb = new_notebook(cells=[new_code_cell("print('first')"), new_code_cell("6 * 7")])
    client = NotebookClient(nb, kernel_manager_class=ForkingKernelManager, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    assert nb.cells[0].outputs[0]["text"] == "first\n"
    assert nb.cells[1].outputs[0]["data"]["text/plain"] == "42"
