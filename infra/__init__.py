"""Infrastructure as code: the CDK app that deploys the hub (see infra/app.py)."""

import os

# jsii prints a banner on every start when the Node it runs on is past its end of life
# (this machine has Node 20). The synth is unaffected; the banner only buries real output.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
