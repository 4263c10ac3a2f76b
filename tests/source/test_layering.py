"""init/src's shape (issue 14): directories include each other in one direction only, and
effects go through sys::Sys.

1. The directory graph of `#include "dir/..."` in init/src has no cycle (not even a pair
   including each other); the layers are listed in README's "Layout" section.
2. No raw syscall outside init/src/sys/: a call spelled `::name(` for a libc system call
   wrapper. main.cpp's last-resort reaper (pid1_terminate, which must not allocate or throw)
   is the one exception. RAW_LEFT may list files allowed some, with their count, during a
   move behind sys::Sys (it is empty: every effect goes through sys::Sys)."""
import os
import re
import unittest

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "init", "src")

SYSCALLS = """open openat openat2 fork vfork execv execve execvp execvpe chroot chdir fchdir waitpid
wait4 kill ioctl tcgetattr tcsetattr read write pread pwrite close mount umount umount2 unlink
unlinkat rename renameat mkdir mkdirat socket connect bind stat lstat fstat fstatat statfs
fstatfs readlink readlinkat symlink symlinkat link linkat chmod fchmod fchmodat chown fchown
fchownat poll select pipe pipe2 dup dup2 dup3 sync fsync syncfs reboot sethostname getrandom
setsid setpgid prctl signalfd sigprocmask sigtimedwait sigaction nanosleep clock_gettime
opendir fdopendir readdir closedir access faccessat truncate ftruncate lseek syscall isatty
ttyname _exit sleep""".split()
RAW = re.compile(r"(?<![\w:>.])::(" + "|".join(SYSCALLS) + r")\s*\(")

# Files allowed raw calls during a move (file -> count); none today.
RAW_LEFT: dict[str, int] = {}


def sources():
    for d in sorted(os.listdir(SRC)):
        path = os.path.join(SRC, d)
        if os.path.isdir(path):
            for f in sorted(os.listdir(path)):
                if f.endswith((".h", ".cpp")):
                    yield d, f, os.path.join(path, f)
    yield "", "main.cpp", os.path.join(SRC, "main.cpp")


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'"(?:\\.|[^"\\\n])*"', '""', text)  # string literals ("kill(-1)" in messages)
    return re.sub(r"//[^\n]*", "", text)


class LayeringTest(unittest.TestCase):
    def test_no_directory_cycle(self):
        graph: dict[str, set[str]] = {}
        for d, _f, path in sources():
            if not d:
                continue
            with open(path) as fh:
                for m in re.finditer(r'#include "([a-z_]+)/', fh.read()):
                    if m.group(1) != d:
                        graph.setdefault(d, set()).add(m.group(1))
        pairs = sorted(f"{a} <-> {b}" for a in graph for b in graph[a] if a < b and a in graph.get(b, ()))
        self.assertEqual(pairs, [], "directories including each other")
        # Any longer cycle: depth-first search.
        state: dict[str, int] = {}

        def visit(n: str, trail: list[str]) -> None:
            state[n] = 1
            for m in sorted(graph.get(n, ())):
                if state.get(m) == 1:
                    self.fail("include cycle: " + " -> ".join(trail[trail.index(m):] + [m]))
                if m not in state:
                    visit(m, trail + [m])
            state[n] = 2

        for n in sorted(graph):
            if n not in state:
                visit(n, [n])
        print("layers:", {k: sorted(v) for k, v in sorted(graph.items())})

    def test_no_raw_syscalls_outside_sys(self):
        found: dict[str, int] = {}
        for d, f, path in sources():
            if d == "sys":
                continue
            with open(path) as fh:
                text = strip_comments(fh.read())
            if f == "main.cpp" and not d:  # the last-resort reaper may not go through Sys
                start = text.find("pid1_terminate() noexcept {")
                end = text.find("\n}\n", start)
                self.assertGreater(start, 0, "main.cpp: pid1_terminate not found")
                text = text[:start] + text[end:]
            n = len(RAW.findall(text))
            if n:
                found[f"{d}/{f}" if d else f] = n
        print("raw syscalls left:", found)
        for name, n in found.items():
            self.assertLessEqual(n, RAW_LEFT.get(name, 0), f"{name}: {n} raw syscall(s); use sys::Sys")


if __name__ == "__main__":
    unittest.main()
