"""The ASL files of `chalicelib/workflows/` and their placeholders, as both the CDK app and the local
runtime read them (no aws_cdk here: the local runtime and the tests import this too).

A Lambda task names its function with a placeholder, `${<LogicalId>FunctionArn}`, where `<LogicalId>` is the
name `chalice package` gives the function: `@app.lambda_function(name="price_cdr")` is `PriceCdr`, so the
placeholder is `${PriceCdrFunctionArn}`.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from chalice.utils import to_cfn_resource_name

ASL_SUFFIX = ".asl.json"
FUNCTION_ARN_SUFFIX = "FunctionArn"
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


def function_logical_id(function_name: str) -> str:
    """The logical id `chalice package` gives `@app.lambda_function(name=function_name)`: price_cdr -> PriceCdr."""
    return str(to_cfn_resource_name(function_name))


@dataclass(frozen=True)
class WorkflowFile:
    """One ASL file: `billing.asl.json` is the workflow `billing`."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name.removesuffix(ASL_SUFFIX)

    def function_ids(self) -> set[str]:
        """The logical ids of the functions the definition's placeholders name."""
        ids = set()
        for placeholder in _PLACEHOLDER.findall(self.path.read_text()):
            if not placeholder.endswith(FUNCTION_ARN_SUFFIX) or placeholder == FUNCTION_ARN_SUFFIX:
                raise ValueError(f"{self.path.name}: placeholder ${{{placeholder}}} is not "
                                 f"${{<FunctionLogicalId>{FUNCTION_ARN_SUFFIX}}}")
            ids.add(placeholder.removesuffix(FUNCTION_ARN_SUFFIX))
        return ids

    def definition(self, function_arns: Mapping[str, str]) -> str:
        """The definition with each placeholder replaced by the ARN of the function it names (by logical id),
        as CloudFormation's DefinitionSubstitutions does."""
        unknown = self.function_ids() - function_arns.keys()
        if unknown:
            raise ValueError(f"{self.path.name} names functions the app does not have: {sorted(unknown)}; "
                             f"the app has {sorted(function_arns)}")
        return _PLACEHOLDER.sub(
            lambda m: function_arns[m.group(1).removesuffix(FUNCTION_ARN_SUFFIX)], self.path.read_text())


def workflow_files(directory: Path) -> list[WorkflowFile]:
    return [WorkflowFile(path) for path in sorted(directory.glob(f"*{ASL_SUFFIX}"))]
