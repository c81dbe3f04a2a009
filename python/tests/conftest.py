"""The examples directory is importable from the tests: they use its torchvision-layout ResNet
and exercise the example scripts."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples"))
