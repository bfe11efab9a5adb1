"""Command line: ``helpdesk triage|summarize|run``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from helpdesk.agents.escalation import EscalationAgent
from helpdesk.agents.priority import PriorityAgent
from helpdesk.agents.summary import SummaryAgent
from helpdesk.agents.triage import TriageAgent
from helpdesk.models import Ticket
from helpdesk.orchestrators.ticket import TicketOrchestrator


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``helpdesk`` command."""
    parser = argparse.ArgumentParser(prog="helpdesk", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    triage = sub.add_parser("triage", help="categorise and prioritise one message")
    triage.add_argument("text")
    summarize = sub.add_parser("summarize", help="summarise one message")
    summarize.add_argument("text")
    summarize.add_argument("--sentences", type=int, default=2)
    run = sub.add_parser("run", help="process a JSON file with a list of tickets")
    run.add_argument("file", type=Path)
    run.add_argument("--escalate-at", type=int, default=1, metavar="PRIORITY")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``helpdesk`` script."""
    args = build_parser().parse_args(argv)
    if args.command == "triage":
        ticket = PriorityAgent().handle(TriageAgent().handle(Ticket(id=0, subject=args.text)))
        print(f"{ticket.category} P{ticket.priority}")
    elif args.command == "summarize":
        print(SummaryAgent(max_sentences=args.sentences).summarize(args.text))
    else:
        try:
            records = json.loads(args.file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"helpdesk: cannot read {args.file}: {exc}", file=sys.stderr)
            return 2
        pipeline = TicketOrchestrator(
            [TriageAgent(), PriorityAgent(), EscalationAgent(args.escalate_at), SummaryAgent()]
        )
        for ticket in pipeline.run(Ticket.from_dict(r) for r in records):
            print(f"#{ticket.id} {ticket.status:<9} P{ticket.priority} {ticket.category:<8} {ticket.summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
