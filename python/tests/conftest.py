"""The examples are importable from the tests: they use the torchvision-layout ResNet and run the
example scripts and the demo."""
import os
import sys

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
sys.path[:0] = [EXAMPLES, os.path.join(EXAMPLES, "demo")]
