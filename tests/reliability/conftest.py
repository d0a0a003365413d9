"""`make reliability`: scenarios against the real stack, and a summary table at the end."""
from tests.support.summary import RESULTS, SECURITY

# The suites whose tests are each a sandbox escape or abuse attempt.
ESCAPE_SUITES = ("test_hostile_notebooks", "test_kernel_memory")


def pytest_terminal_summary(terminalreporter):
    if not RESULTS:
        return
    write = terminalreporter.write_line
    write("")
    write(f"{'scenario':<28}{'runs':>6}{'submissions':>13}{'lost':>6}{'duplicated':>12}{'stuck':>7}  note")
    for r in RESULTS:
        write(f"{r['scenario']:<28}{r['runs']:>6}{r['submissions']:>13}{r['lost']:>6}{r['duplicated']:>12}{r['stuck']:>7}  {r['note']}")
    escapes = terminalreporter.stats.get("passed", [])
    contained = sum(1 for rep in escapes if any(suite in rep.nodeid for suite in ESCAPE_SUITES))
    tried = contained + sum(1 for rep in terminalreporter.stats.get("failed", [])
                            if any(suite in rep.nodeid for suite in ESCAPE_SUITES))
    write(f"sandbox escape and abuse attempts: {tried} tried, {contained} contained")
    write("web security: " + ", ".join(f"{n} {kind} refused or escaped" for kind, n in SECURITY.items()))
    write(f"lost={sum(r['lost'] for r in RESULTS)} duplicated={sum(r['duplicated'] for r in RESULTS)} "
          f"stuck={sum(r['stuck'] for r in RESULTS)} escapes_contained={contained}/{tried}")
