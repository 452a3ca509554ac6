"""``python -m validation [CASE ...] [--json FILE] [--figdir DIR]``.

Exit status 0 only if every record passed.
"""
import argparse
import sys

from .records import available_cases, check_writable, format_table, run_cases


def main(argv=None):
    cases = available_cases()
    parser = argparse.ArgumentParser(
        prog="python -m validation",
        description="Compare lattice calculations with the papers' formulas.")
    parser.add_argument("cases", nargs="*", metavar="CASE",
                        help=f"cases to run (default: all of {', '.join(cases)})")
    parser.add_argument("--json", metavar="FILE", help="write the records here")
    parser.add_argument("--figdir", default="results/figures",
                        help="where figures go (default: %(default)s)")
    args = parser.parse_args(argv)
    unknown = [c for c in args.cases if c not in cases]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; available: {cases}")
    if args.json:
        # Before any case runs: the cases take minutes, the records are the
        # point of running them.
        try:
            check_writable(args.json)
        except OSError as err:
            parser.error(str(err))
    records = run_cases(args.cases or cases, args.figdir, json_path=args.json)
    print(format_table(records))
    return 0 if records and all(r.passed for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
