"""What-if work on a scenario, one module per job:

* :mod:`.edits`: variants as lists of edits (:class:`Edit`, :class:`Variant`,
  :func:`apply_edits`, :func:`editable_paths`);
* :mod:`.checks`: checks before a run (expected contacts, load and staffing per interval,
  intervals with load but nobody on duty);
* :mod:`.verdicts`: target verdicts for people, undefined KPIs, slack of met targets;
* :mod:`.compare`: several results side by side.

It knows no Streamlit: the CLI, notebooks and the app share it.
"""

from simulator.whatif.checks import (
    arrival_profile,
    estimate_contacts,
    expected_contacts,
    load_warnings,
    staffing_profile,
)
from simulator.whatif.compare import COMPARE_KPIS, compare
from simulator.whatif.edits import (
    EDIT_OPS,
    WHOLE_NUMBER_FIELDS,
    Edit,
    Variant,
    apply_edits,
    editable_paths,
    expand_path,
    parse_edit,
    parse_variant,
)
from simulator.whatif.verdicts import target_checks, undefined_reason, with_slack

__all__ = [
    "COMPARE_KPIS",
    "EDIT_OPS",
    "WHOLE_NUMBER_FIELDS",
    "Edit",
    "Variant",
    "apply_edits",
    "arrival_profile",
    "compare",
    "editable_paths",
    "estimate_contacts",
    "expand_path",
    "expected_contacts",
    "load_warnings",
    "parse_edit",
    "parse_variant",
    "staffing_profile",
    "target_checks",
    "undefined_reason",
    "with_slack",
]
