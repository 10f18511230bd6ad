#!/usr/bin/env python3
"""scripts/test-boot's driver: boots the image in QEMU and checks the box as a visitor and a technician meet it.

One line per check on standard output: `ok: ...`, `FAILED: ...` or `skipped: ...`, each with its time; lines
starting with `#` tell what happens. Exit status 1 when a check failed.

How it reaches the box:
  - the QEMU monitor (HMP on a unix socket): `sendkey` is the visitor's keyboard (a PS/2 keyboard; the box's
    keymap is Swedish, so characters are typed as the keys a Swedish keyboard has in the same places),
    `screendump` the camera, `system_reset` the power cut;
  - boot-test-diag.service on the second serial port (scripts/boot/diag.sh): a shell command in, its status
    and output back; it reads tty1's cells from /dev/vcsu1, so no check needs OCR;
  - the broker on the host, which the kiosk's gateway and the box's own collector both reach at 10.0.2.2
    (QEMU's user network), watched by mosquitto_sub.

Only the standard library: the PPM screendumps become palette PNGs here (the console has at most 16 colours).
"""

import argparse
import base64
import gzip
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
import wave
import zlib

# --- the texts the screens must show: the prompt's own language files (their one home) ----------------------

LANGUAGE_FILES = "Sources/Prompt/Languages"


def load_texts(repo, tag):
    texts = {}
    with open(os.path.join(repo, LANGUAGE_FILES, f"{tag}.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#") or " = " not in line:
                continue
            key, value = line.split(" = ", 1)
            texts[key.strip()] = value.replace("\\n", " ").replace("\\\\", "\\")
    return texts


def needle(text):
    """The fixed part of a text as a screen shows it: up to its first {placeholder}, spaces collapsed."""
    return " ".join(text.split("{", 1)[0].split())


def flat(text):
    return " ".join(text.split())


# --- one line per check ----------------------------------------------------------------------------------------

class Report:
    def __init__(self):
        self.failed = 0
        self.lines = []

    def line(self, kind, what, seconds=None):
        timing = f" ({seconds:.1f} s)" if seconds is not None else ""
        text = f"{kind}: {what}{timing}"
        self.lines.append(text)
        print(text, flush=True)
        if kind == "FAILED":
            self.failed += 1

    def ok(self, what, seconds=None):
        self.line("ok", what, seconds)

    def fail(self, what, seconds=None):
        self.line("FAILED", what, seconds)

    def skip(self, what):
        self.line("skipped", what)

    def check(self, condition, what, why="", seconds=None):
        if condition:
            self.ok(what, seconds)
        else:
            self.fail(f"{what}{': ' + why if why else ''}", seconds)
        return condition


def note(text):
    print(f"# {text}", flush=True)


class CheckError(Exception):
    pass


# --- PNG from PPM, palette when the picture allows (a text console always does) --------------------------------

def read_ppm(data):
    header = re.match(rb"P6\s+(?:#.*\s+)*(\d+)\s+(\d+)\s+(\d+)\s", data)
    if not header:
        raise CheckError("not a binary PPM")
    width, height, _ = (int(x) for x in header.groups())
    return width, height, data[header.end():header.end() + width * height * 3]


def top_bar_height(pixels):
    """The height in pixels of the first row of text on the screen that is lit across most of its width: the
    emergency line, drawn inverse (light) over the whole width. That is one cell of what the visitor sees,
    whoever drew it (the kernel's console font, or the prompt on the framebuffer)."""
    width, height, data = pixels

    def lit(y):
        row = data[y * width * 3:(y + 1) * width * 3]
        bright = sum(1 for x in range(0, width * 3, 12) if row[x] + row[x + 1] + row[x + 2] > 3 * 96)
        return bright * 4 > width * 0.5
    y = 0
    while y < height and not lit(y):
        y += 1
    top = y
    while y < height and lit(y):
        y += 1
    return y - top, top


def ppm_to_png(ppm_path, png_path):
    with open(ppm_path, "rb") as f:
        width, height, pixels = read_ppm(f.read())
    colours = {}
    indexed = bytearray()
    for i in range(0, len(pixels), 3):
        c = pixels[i:i + 3]
        index = colours.get(c)
        if index is None:
            if len(colours) >= 256:
                indexed = None
                break
            index = colours[c] = len(colours)
        indexed.append(index)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    rows = bytearray()
    if indexed is not None:
        depth = 4 if len(colours) <= 16 else 8
        per_row = width
        for y in range(height):
            rows.append(0)
            row = indexed[y * per_row:(y + 1) * per_row]
            if depth == 4:
                packed = bytearray((row[i] << 4) | (row[i + 1] if i + 1 < len(row) else 0) for i in range(0, len(row), 2))
                rows += packed
            else:
                rows += row
        palette = b"".join(sorted(colours, key=colours.get))
        ihdr = struct.pack(">IIBBBBB", width, height, depth, 3, 0, 0, 0)
        body = chunk(b"IHDR", ihdr) + chunk(b"PLTE", palette)
    else:
        for y in range(height):
            rows.append(0)
            rows += pixels[y * width * 3:(y + 1) * width * 3]
        body = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png = b"\x89PNG\r\n\x1a\n" + body + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b"")
    with open(png_path, "wb") as f:
        f.write(png)
    return width, height, len(colours) if indexed is not None else None


# --- the keyboard: characters as the keys of a Swedish keyboard (QEMU names US key positions) -----------------

SWEDISH_KEYS = {
    " ": "spc", "å": "bracket_left", "Å": "shift-bracket_left", "ä": "apostrophe", "Ä": "shift-apostrophe",
    "ö": "semicolon", "Ö": "shift-semicolon", "-": "slash", "_": "shift-slash", "+": "minus", "?": "shift-minus",
    ".": "dot", ":": "shift-dot", ",": "comma", ";": "shift-comma", "*": "shift-backslash", "'": "backslash",
    "!": "shift-1", "@": "alt_r-2", "(": "shift-8", ")": "shift-9", "/": "shift-7", "=": "shift-0",
    "\n": "ret",
}


def key_for(char):
    if char in SWEDISH_KEYS:
        return SWEDISH_KEYS[char]
    if "a" <= char <= "z" or "0" <= char <= "9":
        return char
    if "A" <= char <= "Z":
        return "shift-" + char.lower()
    raise CheckError(f"no key for {char!r} on the Swedish keyboard map of the driver")


# --- QEMU: the machine, its monitor and the diagnostic channel -------------------------------------------------

class Monitor:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.sock.settimeout(60)
        self.buffer = b""
        self._until_prompt()

    def _until_prompt(self):
        while b"(qemu) " not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                raise CheckError("the QEMU monitor closed")
            self.buffer += data
        text, self.buffer = self.buffer.split(b"(qemu) ", 1)
        return text.decode(errors="replace")

    def command(self, line):
        self.sock.sendall(line.encode() + b"\n")
        reply = self._until_prompt()
        # HMP echoes the command line (with terminal escapes); keep what follows it.
        reply = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", reply)
        return reply.split("\n", 1)[1].strip() if "\n" in reply else ""

    def sendkey(self, key):
        self.command(f"sendkey {key}")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Diag:
    """The diagnostic channel: boot-test-diag.service on the guest's ttyS1."""

    def __init__(self, path, log_path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.lock = threading.Condition()
        self.replies = {}
        self.ready = []  # (monotonic time, boot id)
        self.next_id = 1
        self.log = open(log_path, "a", encoding="utf-8", errors="replace")
        self.closed = False
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        pending = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                with self.lock:
                    self.closed = True
                    self.lock.notify_all()
                return
            pending += data
            while b"\n" in pending:
                raw, pending = pending.split(b"\n", 1)
                line = raw.decode(errors="replace").strip("\r\x00 ")
                self.log.write(line[:300] + "\n")
                self.log.flush()
                m = re.search(r"DIAG-READY (\S+)", line)
                if m:
                    with self.lock:
                        self.ready.append((time.monotonic(), m.group(1)))
                        self.lock.notify_all()
                    continue
                m = re.search(r"DIAG-REPLY (\d+) (\d+) ?(\S*)", line)
                if m:
                    output = gzip.decompress(base64.b64decode(m.group(3))) if m.group(3) else b""
                    with self.lock:
                        self.replies[int(m.group(1))] = (int(m.group(2)), output)
                        self.lock.notify_all()

    def wait_ready(self, timeout, not_boot=None):
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for when, boot in self.ready:
                    if boot != not_boot:
                        return boot
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    return None
                self.lock.wait(min(left, 1))

    def forget_ready(self):
        with self.lock:
            self.ready.clear()

    def run_bytes(self, command, timeout=120):
        with self.lock:
            ident = self.next_id
            self.next_id += 1
        encoded = base64.b64encode(command.encode()).decode()
        self.sock.sendall(f"{ident} {encoded}\n".encode())
        deadline = time.monotonic() + timeout
        with self.lock:
            while ident not in self.replies:
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    raise CheckError(f"no answer on the diagnostic channel within {timeout} s to: {command[:80]}")
                self.lock.wait(min(left, 1))
            return self.replies.pop(ident)

    def run(self, command, timeout=120):
        status, output = self.run_bytes(command, timeout)
        return status, output.decode("utf-8", errors="replace")

    def out(self, command, timeout=120):
        return self.run(command, timeout)[1].strip()


class Screen:
    def __init__(self, rows, cols, cells, visible_rows=None):
        self.rows, self.cols = rows, cols
        self.lines = ["".join(cells[r * cols:(r + 1) * cols]).rstrip() for r in range(rows)]
        # Where the prompt draws tty1's text on the framebuffer in larger cells, rows past the screen's bottom are
        # in /dev/vcsu1 but not in front of the visitor: they do not count.
        self.hidden = []
        if visible_rows and visible_rows < rows:
            self.lines, self.hidden = self.lines[:visible_rows], self.lines[visible_rows:]
        self.text = flat(" ".join(self.lines))
        # Without any white space: a text the prompt wrapped, also inside a word, is still found.
        self.compact = "".join(self.text.split())

    def has(self, *needles):
        return all("".join(n.split()) in self.compact for n in needles)

    def first_line(self):
        return next((line.strip() for line in self.lines if line.strip()), "")

    def dump(self):
        return "\n".join("  | " + line for line in self.lines if line.strip())


class Box:
    """One QEMU machine: the image booted at one screen size."""

    def __init__(self, args, accel, resolution, name):
        self.args = args
        self.accel = accel
        self.width, self.height = resolution
        self.name = name
        self.dir = os.path.join(args.run, name)
        os.makedirs(self.dir, exist_ok=True)
        self.monitor_path = os.path.join(self.dir, "monitor.sock")
        self.diag_path = os.path.join(self.dir, "diag.sock")
        self.console_log = os.path.join(self.dir, "console.log")
        self.audio = os.path.join(self.dir, "audio.wav")
        self.process = None
        self.monitor = None
        self.diag = None
        self.boot_id = None
        self.visible_rows = None

    def command_line(self, image):
        # One vCPU: on a loaded 2-core CI machine a second TCG thread only competes with the first (a guest with two
        # starved vCPUs stalled for a minute in RCU after a reset).
        accel = ["-accel", "kvm", "-cpu", "host"] if self.accel == "kvm" else ["-accel", "tcg", "-cpu", "max"]
        append = (f"root=/dev/vda rw console=ttyS0 video={self.width}x{self.height} "
                  "systemd.show_status=false net.ifnames=1")
        return ["qemu-system-x86_64", *accel, "-m", "1024", "-smp", "1", "-nodefaults", "-no-user-config",
                "-kernel", os.path.join(self.args.run, "vmlinuz"), "-initrd", os.path.join(self.args.run, "initrd.img"),
                "-append", append,
                "-drive", f"file={image},format=raw,if=virtio,cache=writeback",
                "-vga", "std", "-global", "VGA.vgamem_mb=32", "-display", "none",
                "-nic", "user,model=virtio-net-pci",
                "-chardev", f"file,id=con,path={self.console_log}", "-serial", "chardev:con",
                "-chardev", f"socket,id=diag,path={self.diag_path},server=on,wait=off", "-serial", "chardev:diag",
                "-monitor", f"unix:{self.monitor_path},server=on,wait=off",
                "-audiodev", f"wav,id=snd0,path={self.audio}",
                "-device", "intel-hda", "-device", "hda-duplex,audiodev=snd0"]

    def start(self, image):
        for path in (self.monitor_path, self.diag_path, self.console_log):
            if os.path.exists(path):
                os.unlink(path)
        self.stderr = open(os.path.join(self.dir, "qemu.stderr"), "w")
        self.started = time.monotonic()
        self.process = subprocess.Popen(self.command_line(image), stdin=subprocess.DEVNULL,
                                        stdout=self.stderr, stderr=self.stderr)
        deadline = time.monotonic() + 30
        while not (os.path.exists(self.monitor_path) and os.path.exists(self.diag_path)):
            if self.process.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        self.monitor = Monitor(self.monitor_path)
        self.diag = Diag(self.diag_path, os.path.join(self.dir, "diag.log"))
        return True

    def console_has(self, text):
        try:
            with open(self.console_log, "rb") as f:
                return text.encode() in f.read()
        except OSError:
            return False

    def stop(self):
        if self.monitor:
            try:
                self.monitor.command("quit")
            except (OSError, CheckError):
                pass
            self.monitor.close()
        if self.process:
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    # the guest

    def screen(self):
        status, data = self.diag.run_bytes("head -c 4 /dev/vcsa1 && cat /dev/vcsu1", timeout=60)
        if status != 0 or len(data) < 4:
            raise CheckError("could not read tty1 (/dev/vcsa1, /dev/vcsu1)")
        rows, cols = data[0], data[1]
        cells = data[4:4 + rows * cols * 4].decode("utf-32-le", errors="replace")
        return Screen(rows, cols, cells, self.visible_rows)

    def wait_screen(self, predicate, timeout=60):
        deadline = time.monotonic() + timeout
        screen = None
        while True:
            screen = self.screen()
            if predicate(screen):
                return screen
            if time.monotonic() > deadline:
                return None if screen is None else _Missed(screen)
            time.sleep(0.2)

    def keys(self, *keys):
        for key in keys:
            self.monitor.sendkey(key)

    def type_text(self, text):
        for char in text:
            self.monitor.sendkey(key_for(char))

    def shot(self, name):
        """A screendump as PNG in the results folder; taken again until two in a row are the same picture."""
        ppm = os.path.join(self.dir, f"{name}.ppm")
        previous = None
        for _ in range(10):
            self.monitor.command(f"screendump {ppm}")
            with open(ppm, "rb") as f:
                current = f.read()
            if current == previous:
                break
            previous = current
            time.sleep(0.3)
        png = os.path.join(self.args.results, f"{self.width}x{self.height}-{name}.png")
        ppm_to_png(ppm, png)
        self.last_pixels = read_ppm(current)
        os.unlink(ppm)
        return png


class _Missed:
    """What wait_screen returns when the condition never held: the last screen, falsy."""

    def __init__(self, screen):
        self.screen = screen

    def __bool__(self):
        return False


# --- the host's broker ------------------------------------------------------------------------------------------

class Broker:
    def __init__(self, run, port):
        self.port = port
        conf = os.path.join(run, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        self.log = open(os.path.join(run, "mosquitto.log"), "w")
        self.process = subprocess.Popen(["mosquitto", "-c", conf], stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise CheckError("the host's mosquitto did not start")
                time.sleep(0.1)
        self.messages = []  # (monotonic arrival, topic, payload)
        self.cond = threading.Condition()
        self.sub = subprocess.Popen(["stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-q", "1",
                                     "-t", "lagesbild/v1/reports/#", "-v"],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.sub.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            topic, _, payload = line.partition(" ")
            with self.cond:
                self.messages.append((time.monotonic(), topic, payload))
                self.cond.notify_all()

    def wait_report(self, predicate, timeout, since=0.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for message in self.messages:
                    if message[0] >= since and predicate(message[2]):
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def stop(self):
        for p in (self.sub, self.process):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


# --- the checks -------------------------------------------------------------------------------------------------

PROJECT_PACKAGES = "tipskiosk lagesbild tipskiosk-kiosk"
TIP_TEXT = "Två män bråkade och hotade en äldre kvinna. Öppet våld. Ring 070-123 45 67"
PHONE = "070-123 45 67"
FEEDBACK_SV = "Efter era tips lyser nu fler lampor vid busstationen."
FEEDBACK_EN = "After your tips, more lights now shine at the bus station."


class Run:
    def __init__(self, args):
        self.args = args
        self.report = Report()
        self.sv = load_texts(args.repo, "sv")
        self.en = load_texts(args.repo, "en")
        self.accel = None
        self.timings = []

    # helpers

    def welcome(self, texts=None):
        texts = texts or self.sv
        return lambda s: s.has(needle(texts["welcome.title"]))

    def shows(self, *keys, texts=None):
        texts = texts or self.sv
        return lambda s: s.has(*(needle(texts[k]) for k in keys))

    def cell_height(self, box, screen):
        """One cell's height in the last screendump: the emergency bar's height over the rows it takes on tty1
        (on a narrow screen "Polisen: 114 14" wraps under "Vid akut fara: ring 112", inside the same bar)."""
        bar, top = top_bar_height(box.last_pixels)
        police = needle(self.sv["police"])
        rows = next((i + 1 for i, line in enumerate(screen.lines[:4]) if police in line), 1)
        return bar // rows, rows, top

    def expect_screen(self, box, predicate, what, timeout=60, shot=None):
        started = time.monotonic()
        screen = box.wait_screen(predicate, timeout)
        seconds = time.monotonic() - started
        if not screen:
            last = screen.screen if isinstance(screen, _Missed) else None
            self.report.fail(f"{what}: not on tty1 within {timeout} s", seconds)
            if last:
                print(last.dump(), flush=True)
            if shot:
                box.shot(shot + "-FAILED")
            raise CheckError(what)
        if shot:
            box.shot(shot)
        return screen, seconds

    def to_welcome(self, box, texts=None):
        """Esc goes back a step, and from step 1 to the welcome screen (CONTRACT §6.1); then L until the welcome
        screen is in the language asked for (Swedish unless told)."""
        texts = texts or self.sv
        either = lambda s: self.welcome(self.sv)(s) or self.welcome(self.en)(s)
        for _ in range(12):
            if either(box.screen()):
                break
            box.keys("esc")
            if box.wait_screen(either, 3):
                break
        else:
            return False
        for _ in range(3):
            if self.welcome(texts)(box.screen()):
                return True
            box.keys("l")
            if box.wait_screen(self.welcome(texts), 5):
                return True
        return False

    def screen_changes_after(self, box, key, timeout=20):
        before = box.screen().text
        box.keys(key)
        return box.wait_screen(lambda s: s.text != before, timeout)

    def prompt_pid(self, box):
        return box.diag.out("systemctl show -p MainPID --value tipskiosk-prompt.service")

    def boot_id(self, box):
        return box.diag.out("cat /proc/sys/kernel/random/boot_id")

    # the machine

    def choose_accel(self):
        """KVM when QEMU's KVM really boots a kernel here, else TCG."""
        if not os.access("/dev/kvm", os.R_OK | os.W_OK):
            return "tcg", "/dev/kvm cannot be opened"
        image = os.path.join(self.args.run, "root.img")
        probe = Box(self.args, "kvm", (1024, 768), "kvm-probe")
        subprocess.run(["cp", "--sparse=always", image, os.path.join(probe.dir, "probe.img")], check=True)
        try:
            if not probe.start(os.path.join(probe.dir, "probe.img")):
                return "tcg", "qemu -accel kvm exited: " + _tail(os.path.join(probe.dir, "qemu.stderr"))
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if probe.process.poll() is not None:
                    return "tcg", "qemu -accel kvm exited: " + _tail(os.path.join(probe.dir, "qemu.stderr"))
                if probe.console_has("Linux version"):
                    return "kvm", "a kernel booted under KVM"
                time.sleep(0.2)
            return "tcg", "no kernel message within 10 s under KVM (it hangs)"
        finally:
            if probe.process and probe.process.poll() is None:
                probe.process.kill()
                probe.process.wait()
            if probe.monitor:
                probe.monitor.close()
            os.unlink(os.path.join(probe.dir, "probe.img"))

    def boot(self, box, image):
        started = time.monotonic()
        if not box.start(image):
            raise CheckError("QEMU did not start: " + _tail(os.path.join(box.dir, "qemu.stderr")))
        box.boot_id = box.diag.wait_ready(300)
        if not box.boot_id:
            raise CheckError("the box's diagnostic channel did not come up within 300 s (console: "
                             f"{box.console_log})")
        state = box.diag.out("systemctl is-system-running --wait", timeout=300)
        seconds = time.monotonic() - started
        note(f"{box.width}x{box.height}: boot to multi-user ({state}) in {seconds:.1f} s")
        self.timings.append((f"boot {box.width}x{box.height}", seconds))
        return seconds

    # the checks, one by one

    def check_units(self, box):
        started = time.monotonic()
        failed = box.diag.out("systemctl --failed --plain --no-legend --no-pager")
        active = box.diag.out("systemctl is-active tipskiosk-gateway.service tipskiosk-prompt.service "
                              "lagesbild-collect.service | paste -sd' '")
        self.report.check(not failed and active == "active active active",
                          "no failed units; the gateway, the prompt and the collector are active",
                          f"failed: {failed or 'none'}; gateway, prompt, collector: {active}", time.monotonic() - started)

    def security_claims(self):
        """docs/SECURITY.md's table of the units' `systemd-analyze security` exposure."""
        claims = {}
        with open(os.path.join(self.args.repo, "docs/SECURITY.md"), encoding="utf-8") as f:
            for line in f:
                m = re.match(r"\|\s*`([\w@.-]+\.service)`\s*\|\s*([0-9.]+)\s*\|", line)
                if m:
                    claims[m.group(1)] = float(m.group(2))
        return claims

    def check_security(self, box):
        started = time.monotonic()
        claims = self.security_claims()
        units = box.diag.out(f"dpkg -L {PROJECT_PACKAGES} | grep -E '^/lib/systemd/system/[^/]+\\.service$' "
                             "| xargs -n1 basename | sort -u").split()
        table = box.diag.out("systemd-analyze security --no-pager " + " ".join(units))
        measured = {}
        for line in table.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] in units:
                measured[parts[0]] = float(parts[1])
        seconds = time.monotonic() - started
        if not units:
            self.report.fail("systemd-analyze security: no units of the packages found", seconds)
        for unit in units:
            got = measured.get(unit)
            claim = claims.get(unit)
            if got is None:
                self.report.fail(f"systemd-analyze security {unit}: no exposure in its output")
            elif claim is None:
                self.report.fail(f"systemd-analyze security {unit}: {got} and docs/SECURITY.md claims nothing for it")
            else:
                self.report.check(got <= claim, f"systemd-analyze security {unit}: {got} (docs/SECURITY.md: at most {claim})",
                                  f"more than claimed", seconds / max(1, len(units)))

    def check_welcome(self, box, shot="welcome"):
        screen, seconds = self.expect_screen(box, self.welcome(), "the Swedish welcome screen on tty1", 120, shot)
        cell, _, _ = self.cell_height(box, screen)
        if cell and box.height // cell < screen.rows:
            box.visible_rows = box.height // cell
            note(f"{box.width}x{box.height}: the screen shows {box.visible_rows} rows of {cell} px; tty1 has "
                 f"{screen.rows}: only the first {box.visible_rows} count")
            screen = box.screen()
        first = screen.first_line()
        self.report.check(screen.has("112") and "112" in first,
                          f"welcome on tty1 (/dev/vcsu1, {screen.cols}x{screen.rows} cells): "
                          f"\"{needle(self.sv['welcome.title'])}\", and \"{first}\" on top",
                          "the 112 line is not the first line", seconds)

    def terminus_sizes(self, box):
        """(width, height) of the Terminus console fonts on the box (console-setup's, the ones the kiosk uses)."""
        sizes = set()
        for name in box.diag.out("ls /usr/share/consolefonts/").split():
            m = re.match(r".*Terminus(?:Bold)?(?:VGA)?(\d+)x(\d+)\.psf", name)
            if m:
                sizes.add((int(m.group(2)), int(m.group(1))))
        return sizes

    @staticmethod
    def largest_fitting(sizes, width, height):
        """The tallest cell that still leaves 40 columns and 15 rows (of two as tall, the wider)."""
        fitting = [s for s in sizes if width // s[0] >= 40 and height // s[1] >= 15]
        return max(fitting, key=lambda s: (s[1], s[0])) if fitting else None

    def read_console(self, box):
        info = box.diag.out("showconsolefont -C /dev/tty1 -i; cat /sys/class/graphics/fb0/virtual_size; "
                            "head -c 2 /dev/vcsa1 | od -An -tu1")
        # showconsolefont -i prints WIDTHxHEIGHTxCOUNT ("16x32x512").
        font = re.search(r"^(\d+)x(\d+)x(\d+)$", info, re.M)
        fb = re.search(r"(\d+),(\d+)", info)
        rows_cols = re.findall(r"^\s*(\d+)\s+(\d+)\s*$", info, re.M)
        return ((int(font.group(1)), int(font.group(2))) if font else None,
                (int(fb.group(1)), int(fb.group(2))) if fb else None,
                (int(rows_cols[-1][0]), int(rows_cols[-1][1])) if rows_cols else None, info)

    def check_font(self, box, after=""):
        """Two things, after the framebuffer took the console over: the cell a visitor sees (measured in the
        screendump: the height of the emergency line, drawn inverse across the screen), which must be the tallest
        Terminus size at a whole multiple up to 3 that leaves 40x15 cells (and at least 64 px at 1920x1080); and
        the text console's own font (showconsolefont), the tallest Terminus size the kernel takes (at most
        32 px) that leaves 40x15, which is what staff see when the prompt is stopped."""
        started = time.monotonic()
        font, fb, rows_cols, info = self.read_console(box)
        sizes = self.terminus_sizes(box)
        screen, _ = self.expect_screen(box, self.welcome(), "the welcome screen")
        box.shot("welcome-cell" + ("-after-event" if after else ""))
        bar, bar_rows, top = self.cell_height(box, screen)
        seconds = time.monotonic() - started
        scaled = {(w * k, h * k) for (w, h) in sizes for k in (1, 2, 3)}
        want = self.largest_fitting(scaled, box.width, box.height)
        problems = []
        if box.height >= 1080 and bar < 64:
            problems.append("at least 64 px at 1920x1080")
        if want and bar != want[1]:
            problems.append(f"the tallest Terminus cell (x1, x2, x3) with 40x15 cells here is {want[0]}x{want[1]} "
                            f"({box.width // want[0]}x{box.height // want[1]} cells)")
        self.report.check(not problems and bar > 0,
                          f"the cell a visitor sees at {box.width}x{box.height}{after}: {bar} px high (the 112 bar "
                          f"in the screendump, {bar_rows} row{'s' if bar_rows > 1 else ''} from y={top})", "; ".join(problems) or "no 112 bar found", seconds)
        if not (fb and rows_cols):
            self.report.fail(f"the text console's font at {box.width}x{box.height}{after}: could not read it: {info!r}")
            return
        rows, cols = rows_cols
        source = "showconsolefont"
        if not font:
            # The prompt holds its console in graphics mode (KDSETMODE), where the font cannot be read back: the
            # Terminus size that makes tty1's rows and columns on this framebuffer is the one loaded.
            fits = [s for s in sizes if fb[0] // s[0] == cols and fb[1] // s[1] == rows]
            font = max(fits, key=lambda s: s[1]) if fits else (fb[0] // cols, fb[1] // rows)
            source = f"from tty1's {cols}x{rows} cells; the console is in graphics mode"
        kernel = self.largest_fitting({s for s in sizes if s[1] <= 32}, box.width, box.height)
        problems = []
        if fb != (box.width, box.height):
            problems.append(f"the framebuffer is {fb[0]}x{fb[1]}, not {box.width}x{box.height}")
        if kernel and font != kernel:
            problems.append(f"the tallest Terminus console font the kernel takes that leaves 40x15 is "
                            f"{kernel[0]}x{kernel[1]}")
        self.report.check(not problems, f"the text console's font on tty1 at {box.width}x{box.height}{after}: "
                          f"{font[0]}x{font[1]} ({source}), {cols}x{rows} cells", "; ".join(problems))

    def check_keymap(self, box):
        started = time.monotonic()
        table = box.diag.out("dumpkeys -f -C /dev/tty1")
        seconds = time.monotonic() - started
        line70 = next((l for l in table.splitlines() if re.match(r"keycode\s+70\s*=", l)), "")
        columns = line70.split("=", 1)[1].split() if "=" in line70 else []
        keymaps = next((l for l in table.splitlines() if l.startswith("keymaps")), "keymaps ?")
        # A column is a set of modifiers (keymaps(5): Shift 1, AltGr 2, Control 4, Alt 8, ShiftL 16, ShiftR 32,
        # CtrlL 64, CtrlR 128). A visitor reaches the columns of the modifiers some key gives, also as a lock or
        # sticky key (Debian's Swedish map makes Caps Lock CtrlL_Lock): those must all be VoidSymbol.
        bits = {"Shift": 0, "AltGr": 1, "Control": 2, "Alt": 3, "ShiftL": 4, "ShiftR": 5, "CtrlL": 6, "CtrlR": 7}
        others = " ".join(l.split("=", 1)[1] for l in table.splitlines()
                          if re.match(r"\s*(\w+\s+)*keycode\s+\d+\s*=", l) and l is not line70)
        reachable = 0
        for name, bit in bits.items():
            if re.search(rf"(?<![\w])S?{name}(_Lock)?(?![\w])", others):
                reachable |= 1 << bit
        names = {v: k for k, v in bits.items()}

        def column_name(i):
            return "+".join(names[b] for b in range(8) if i >> b & 1) or "plain"
        wrong = [f"{column_name(i)} ({c})" for i, c in enumerate(columns) if i & ~reachable == 0 and c != "VoidSymbol"]
        checked = sum(1 for i in range(len(columns)) if i & ~reachable == 0)
        self.report.check(columns and not wrong,
                          f"the Hold key (keycode 70) is VoidSymbol in the {checked} columns of the keymap in effect "
                          f"that a keyboard reaches (of {len(columns)}, {keymaps}; modifiers: "
                          f"{', '.join(n for n, b in bits.items() if reachable >> b & 1)})",
                          "not with " + ", ".join(wrong)[:400], seconds)

        def first(code):
            m = re.search(rf"^keycode\s+{code}\s*=\s*(\S+)", table, re.M)
            return m.group(1).lstrip("+") if m else "?"

        swedish = (first(26), first(39), first(40))
        self.report.check(swedish in (("aring", "odiaeresis", "adiaeresis"), ("U+00e5", "U+00f6", "U+00e4")),
                          f"the Swedish keymap is in effect (keycodes 26, 39, 40: {', '.join(swedish)})")

    def check_tip(self, box, broker):
        """Welcome to thanks, typed with sendkey; the screens photographed; the tip at the host's broker and
        in the box's own collector."""
        sv = self.sv
        box.keys("spc")
        self.expect_screen(box, self.shows("category.question"), "step 1 (category)", shot="category")
        box.keys("4")
        self.expect_screen(box, self.shows("place.question"), "step 2 (place)", shot="place")
        box.keys("3", "ret")
        self.expect_screen(box, self.shows("when.question"), "step 3 (when)", shot="when")
        box.keys("1")
        self.expect_screen(box, self.shows("danger.question", "danger.call"), "the 112 screen (threats, just now)",
                           shot="danger")
        box.keys("spc")
        self.expect_screen(box, self.shows("source.question"), "step 4 (source)", shot="source")
        box.keys("1")
        self.expect_screen(box, self.shows("text.question"), "step 5 (text)")
        started = time.monotonic()
        # A few characters at a time, each time until they are on the screen: nothing typed is lost.
        typed = ""
        for word in re.findall(r"\S+\s*", TIP_TEXT):
            box.type_text(word)
            typed += word
            want = typed.strip()[-30:]
            seen = box.wait_screen(lambda s, w=want: s.has(w), 30)
            if not seen:
                last = getattr(seen, "screen", None)
                self.report.fail(f"typing the tip: \"{want}\" did not appear on tty1"
                                 + (f"; tty1 shows:\n{last.dump()}" if last is not None else ""))
                raise CheckError("typing")
        seconds = time.monotonic() - started
        box.shot("text")
        self.report.ok(f"typed with sendkey on the Swedish keymap, å ä ö and Ö included: \"{TIP_TEXT}\"", seconds)
        box.keys("ret")
        self.expect_screen(box, self.shows("contact.question"), "step 6 (contact)", shot="contact")
        box.keys("ret")
        screen, _ = self.expect_screen(box, self.shows("review.question", "review.send_masked"),
                                       "step 7 (review) with the personal data marked", shot="review")
        self.report.check(screen.has(f"»{PHONE}«"), f"the review marks the phone number: »{PHONE}«",
                          "not marked")
        choices = [needle(sv[k]) for k in ("review.send_masked", "review.change", "review.discard",
                                           "review.send_as_typed")]
        missing = [c for c in choices if not screen.has(c)]
        self.report.check(not missing, "the review shows all four choices on the screen",
                          "not on the screen: " + "; ".join(f'"{c}"' for c in missing))
        sent = time.monotonic()
        box.keys("1")
        _, seconds = self.expect_screen(box, self.shows("thanks.title"), "the thanks screen", shot="thanks")
        self.report.ok(f"\"{needle(sv['thanks.title'])}\" after 1 (send)", seconds)
        message = broker.wait_report(lambda p: "Två män bråkade" in p, 60, since=sent)
        if message:
            payload = json.loads(message[2])
            text = payload.get("text", "")
            self.report.check(text.startswith("Två män bråkade och hotade en äldre kvinna. Öppet våld.")
                              and PHONE not in text and "[telefonnummer]" in text,
                              f"the tip reached the broker on the host (10.0.2.2) {1000 * (message[0] - sent):.0f} ms "
                              f"after the key: {message[1]}, text \"{text}\"", "the text is not as typed and masked")
        else:
            self.report.fail("the tip did not reach the broker on the host within 60 s", time.monotonic() - sent)
        started = time.monotonic()
        stored = ""
        while time.monotonic() - started < 60:
            stored = box.diag.out("sqlite3 -readonly /var/lib/lagesbild/lagesbild.sqlite "
                                  "\"select json_extract(payload, '$.text') from reports\"")
            if "Två män bråkade" in stored:
                break
            time.sleep(0.5)
        status = ""
        while time.monotonic() - started < 60:
            status = box.diag.out("tipskiosk status --json")
            if '"pending":0,' in status:
                break
            time.sleep(0.5)
        self.report.check("Två män bråkade" in stored and '"pending":0,' in status,
                          "the box's own collector stored the tip (lagesbild.sqlite) and its receipt emptied the outbox",
                          f"collector holds {stored!r}; tipskiosk status: {status}", time.monotonic() - started)
        box.keys("spc")
        self.expect_screen(box, self.welcome(), "the welcome screen after thanks")

    def check_feedback(self, box):
        started = time.monotonic()
        status, out = box.diag.run(f"lagesbild feedback --sv '{FEEDBACK_SV}' --en '{FEEDBACK_EN}'")
        if status != 0:
            self.report.fail(f"lagesbild feedback: exit {status}: {out.strip()}")
            return
        screen, _ = self.expect_screen(box, lambda s: s.has(needle(self.sv["feedback.title"]), FEEDBACK_SV),
                                       "the centre's feedback on the welcome screen", shot="welcome-feedback")
        self.report.ok(f"the centre's feedback (lagesbild feedback on the box, via the host's broker) on the welcome "
                       f"screen: \"{FEEDBACK_SV}\"", time.monotonic() - started)
        # Cleared again, so that the next boot's welcome screen is the plain one (the host's broker retains it).
        box.diag.run("lagesbild feedback --clear")
        box.wait_screen(lambda s: self.welcome()(s) and not s.has(needle(self.sv["feedback.title"])), 30)

    def check_staff(self, box):
        started = time.monotonic()
        box.keys("ctrl-a", "shift-backslash")
        self.expect_screen(box, self.shows("staff.pin.prompt"), "the staff PIN screen (Ctrl-A, *)", shot="staff-pin")
        self.report.ok(f"Ctrl-A then * opens the staff PIN screen: \"{needle(self.sv['staff.pin.prompt'])}\"",
                       time.monotonic() - started)
        started = time.monotonic()
        box.type_text(self.args.pin + "\n")
        screen, _ = self.expect_screen(box, self.shows("staff.menu.title", "staff.pending"), "the staff menu",
                                       shot="staff-menu")
        self.report.check(screen.has(needle(self.sv["staff.broker"]) + " " + self.sv["staff.broker.connected"]),
                          "the PIN opens the staff menu, which shows the gateway connected",
                          "the menu does not show the broker connected", time.monotonic() - started)
        box.keys("4")
        self.expect_screen(box, self.welcome(), "the welcome screen after leaving staff mode")

    def check_visitor_keys(self, box):
        welcome = self.welcome()
        if not self.to_welcome(box):
            raise CheckError("not on the welcome screen")
        # VT switching: the keys, then a key that changes the screen (the keyboard is read in order), then the VT.
        for keys in ("alt-f2", "ctrl-alt-f2"):
            started = time.monotonic()
            box.keys(keys)
            changed = self.screen_changes_after(box, "l")
            active = box.diag.out("cat /sys/class/tty/tty0/active")
            self.report.check(changed and active == "tty1", f"{keys}: tty1 stays in front (active: {active})",
                              "the screen did not change after L" if not changed else "switched", time.monotonic() - started)
        started = time.monotonic()
        out = box.diag.out("timeout 5 chvt 2; echo \"exit $?\"; cat /sys/class/tty/tty0/active")
        self.report.check(out.endswith("tty1"), f"chvt 2 as root is refused while the prompt runs "
                          f"({' '.join(out.split())})", "tty1 is no longer in front", time.monotonic() - started)
        if not out.endswith("tty1"):
            box.diag.out("chvt 1")
        # Ctrl+Alt+Del eight times: systemd hears them (the journal), and the box neither reboots nor restarts the prompt.
        started = time.monotonic()
        boot, pid = self.boot_id(box), self.prompt_pid(box)
        count = "journalctl -b -o cat _PID=1 --no-pager | grep -ci 'ctrl-alt-del'"
        before = int(box.diag.out(count) or 0)
        for _ in range(8):
            box.keys("ctrl-alt-delete")
        # The keys are read in order: once L has changed the screen, the kernel has passed all eight on to init.
        changed = self.screen_changes_after(box, "l")
        # systemd's journal lines for the presses: all eight, or as many as came once the count holds still
        # for three readings (it may rate-limit them); bounded.
        heard, readings = 0, []
        while time.monotonic() - started < 30:
            heard = int(box.diag.out(count) or 0) - before
            readings.append(heard)
            if heard >= 8 or (heard >= 1 and readings[-3:] == [heard] * 3):
                break
            time.sleep(0.5)
        after_boot, after_pid = self.boot_id(box), self.prompt_pid(box)
        self.report.check(changed and after_boot == boot and after_pid == pid,
                          f"Ctrl+Alt+Del x8: same boot id, same prompt (pid {pid}); systemd logged {heard} of the presses",
                          f"boot id {boot} -> {after_boot}, prompt pid {pid} -> {after_pid}, screen changed after: "
                          f"{bool(changed)}", time.monotonic() - started)
        # SysRq: Alt+SysRq+B would reboot at once; the next key must still reach the prompt, in the same boot.
        started = time.monotonic()
        sysrq = box.diag.out("cat /proc/sys/kernel/sysrq")
        box.keys("alt-sysrq-b")
        changed = self.screen_changes_after(box, "l")
        after_boot, after_pid = self.boot_id(box), self.prompt_pid(box)
        self.report.check(changed and after_boot == boot and after_pid == pid,
                          f"Alt+SysRq+B: no reboot (kernel.sysrq = {sysrq}), the prompt still answers (pid {pid})",
                          f"screen changed: {bool(changed)}, boot id {boot} -> {after_boot}", time.monotonic() - started)
        self.to_welcome(box)
        # Hold (Scroll Lock) with every modifier: output to tty1 must not stop; L after it must change the screen.
        for modifier in ("", "shift-", "ctrl-", "alt-", "alt_r-", "ctrl-shift-", "caps_lock "):
            started = time.monotonic()
            if modifier == "caps_lock ":
                box.keys("caps_lock", "scroll_lock", "caps_lock")
            else:
                box.keys(f"{modifier}scroll_lock")
            changed = self.screen_changes_after(box, "l", 15)
            name = (modifier.replace("alt_r-", "AltGr+").replace("ctrl-", "Ctrl+").replace("shift-", "Shift+")
                    .replace("alt-", "Alt+").replace("caps_lock ", "Caps Lock on, ") + "Hold")
            self.report.check(bool(changed), f"{name}: tty1 still shows what the prompt writes (L after it switched "
                              "the language)", "the screen did not change: tty1's output is stopped",
                              time.monotonic() - started)
            if not changed:
                box.keys(*(("caps_lock", "scroll_lock", "caps_lock") if modifier == "caps_lock " else
                           (f"{modifier}scroll_lock",)))  # give the output back for the next checks
        self.to_welcome(box)

    def check_kill(self, box):
        # The English welcome first: a prompt started again shows the Swedish one (the first language).
        if not self.to_welcome(box, self.en):
            raise CheckError("the English welcome screen did not come")
        pid = self.prompt_pid(box)
        started = time.monotonic()
        box.diag.out(f"kill -9 {pid}")
        new = pid
        while time.monotonic() - started < 60:
            new = self.prompt_pid(box)
            if new not in (pid, "0", ""):
                break
            time.sleep(0.2)
        screen = box.wait_screen(self.welcome(), 60)
        seconds = time.monotonic() - started
        self.report.check(new not in (pid, "0", "") and bool(screen),
                          f"kill -9 of the prompt (pid {pid}): the Swedish welcome is back on tty1 (pid {new})",
                          "not back", seconds)

    def check_reset(self, box, broker):
        submit = {"category": "theft", "place": "Busstationen", "occurred": "today",
                  "text": "Cykel stulen före strömavbrottet"}
        out = box.diag.out("systemctl stop tipskiosk-gateway.service && "
                           f"echo '{json.dumps(submit, ensure_ascii=False)}' | runuser -u tipskiosk -- tipskiosk submit")
        report_id = out.split()[0] if out else ""
        pending = box.diag.out("tipskiosk status --json")
        if not re.match(r"^[0-9a-f-]{36}$", report_id) or '"pending":1,' not in pending:
            self.report.fail(f"hard reset: could not put an undelivered report into the outbox: {out}; {pending}")
            return
        old_boot = box.boot_id
        box.diag.forget_ready()
        started = time.monotonic()
        box.monitor.command("system_reset")
        box.boot_id = box.diag.wait_ready(300, not_boot=old_boot)
        if not box.boot_id:
            self.report.fail("hard reset: the box did not come back within 300 s", time.monotonic() - started)
            raise CheckError("reset")
        screen = box.wait_screen(self.welcome(), 120)
        seconds = time.monotonic() - started
        self.report.check(bool(screen), f"hard reset (system_reset): the kiosk is back on tty1 (new boot id)",
                          "no welcome screen", seconds)
        started = time.monotonic()
        integrity = box.diag.out("runuser -u tipskiosk -- sqlite3 -readonly /var/lib/tipskiosk/outbox.sqlite "
                                 "'pragma integrity_check'")
        stored = ""
        while time.monotonic() - started < 90:
            stored = box.diag.out("sqlite3 -readonly /var/lib/lagesbild/lagesbild.sqlite "
                                  f"\"select count(*) from reports where id = '{report_id}'\"")
            if stored == "1":
                break
            time.sleep(0.5)
        self.report.check(integrity == "ok" and stored == "1",
                          f"the outbox after the reset: integrity ok, and the report it held ({report_id[:8]}…) reached the "
                          "collector", f"integrity_check: {integrity}; in the collector: {stored}", time.monotonic() - started)

    def check_console_event(self, box):
        box.diag.out("udevadm trigger --action=add --subsystem-match=vtconsole && udevadm settle", timeout=60)
        self.check_font(box, after=", after a vtconsole add event")

    def check_speech(self, box):
        # Does this tipskiosk know the key? check-config warns about an unknown one (CONTRACT §2.1).
        status, out = box.diag.run("sed 's/^\\[prompt\\]$/&\\nspeech = true/' /etc/tipskiosk/tipskiosk.toml "
                                   "> /tmp/speech.toml && tipskiosk check-config --config /tmp/speech.toml")
        said = " ".join(l.split(": ", 1)[-1].strip() for l in out.splitlines() if "prompt.speech" in l)
        if status != 0 or re.search(r"(?i)unknown", said):
            self.report.skip("speech: this tipskiosk does not know [prompt] speech (the speech branch is not merged): "
                             f"check-config says \"{said or out.strip()[-200:]}\"")
            return
        # As docs/HARDWARE.md ("Speech") tells an administrator: the drop-in that lets the prompt open the sound
        # card, from the kiosk package's examples.
        status, out = box.diag.run(
            "mkdir -p /etc/systemd/system/tipskiosk-prompt.service.d && "
            "cp /usr/share/doc/tipskiosk-kiosk/examples/systemd/tipskiosk-prompt.service.d/speech.conf "
            "/etc/systemd/system/tipskiosk-prompt.service.d/ && systemctl daemon-reload")
        if status != 0:
            self.report.fail(f"speech: the drop-in speech.conf could not be put in place: {out.strip()[-200:]}")
            return
        results = {}
        for on in (True, False):
            box.diag.out("sed -i '/^speech = /d' /etc/tipskiosk/tipskiosk.toml && "
                         f"sed -i 's/^\\[prompt\\]$/&\\nspeech = {'true' if on else 'false'}/' /etc/tipskiosk/tipskiosk.toml && "
                         "systemctl restart tipskiosk-prompt.service")
            self.expect_screen(box, self.welcome(), "the welcome screen after restarting the prompt")
            mark = os.path.getsize(box.audio)
            started = time.monotonic()
            box.keys("spc")
            self.expect_screen(box, self.shows("category.question"), "step 1 (category)")
            window = results.get(True, (0, 0, 8.0))[2] * 2 if not on else 30
            peak = 0.0
            while time.monotonic() - started < window:
                rms, peak = audio_level(box.audio, mark)
                if on and peak > 0.05:
                    break
                time.sleep(0.5)
            rms, peak = audio_level(box.audio, mark)
            results[on] = (rms, peak, max(2.0, time.monotonic() - started))
            self.to_welcome(box)
        on_rms, on_peak, _ = results[True]
        off_rms, off_peak, window = results[False]
        said = "" if on_peak > 0.05 else box.diag.out("journalctl -b -u tipskiosk-prompt.service --no-pager -o cat "
                                                       "| grep -i speech | tail -3")
        self.report.check(on_peak > 0.05, f"speech on: the recording is not silent (sox: max amplitude {on_peak:.3f}, "
                          f"RMS {on_rms:.4f})", f"silent; the prompt's log: {said.strip()[-300:]!r}")
        self.report.check(off_peak < 0.01, f"speech off: the recording is silent over {window:.0f} s of the same screens "
                          f"(max amplitude {off_peak:.3f})", "not silent")

    # the runs

    def run_check(self):
        broker = Broker(self.args.run, self.args.port)
        image = os.path.join(self.args.run, "root.img")
        fresh = os.path.join(self.args.run, "root-fresh.img")
        subprocess.run(["cp", "--sparse=always", image, fresh], check=True)
        try:
            box = Box(self.args, self.accel, (1920, 1080), "1920x1080")
            try:
                self.boot(box, image)
                steps = [lambda: self.check_units(box), lambda: self.check_security(box),
                         lambda: self.check_welcome(box), lambda: self.check_font(box),
                         lambda: self.check_console_event(box), lambda: self.check_keymap(box),
                         lambda: self.check_tip(box, broker), lambda: self.check_feedback(box),
                         lambda: self.check_staff(box), lambda: self.check_visitor_keys(box),
                         lambda: self.check_speech(box), lambda: self.check_kill(box),
                         lambda: self.check_reset(box, broker)]
                self.steps(steps)
            finally:
                box.stop()
            box = Box(self.args, self.accel, (1024, 768), "1024x768")
            try:
                self.boot(box, fresh)
                self.steps([lambda: self.check_welcome(box), lambda: self.check_font(box),
                            lambda: self.check_console_event(box), lambda: self.check_keymap(box)])
            finally:
                box.stop()
        finally:
            broker.stop()

    def run_screens(self):
        broker = Broker(self.args.run, self.args.port)
        image = os.path.join(self.args.run, "root.img")
        try:
            for resolution in ((1920, 1080), (1024, 768)):
                copy = os.path.join(self.args.run, f"root-{resolution[0]}.img")
                subprocess.run(["cp", "--sparse=always", image, copy], check=True)
                box = Box(self.args, self.accel, resolution, f"{resolution[0]}x{resolution[1]}")
                try:
                    self.boot(box, copy)
                    self.steps([lambda: self.check_welcome(box), lambda: self.check_tip(box, broker),
                                lambda: self.check_feedback(box), lambda: self.check_staff(box)])
                finally:
                    box.stop()
                    os.unlink(copy)
        finally:
            broker.stop()

    def steps(self, steps):
        for step in steps:
            try:
                step()
            except CheckError as e:
                note(f"stopped a check: {e}")
                if "reset" in str(e) or "diagnostic channel" in str(e):
                    raise


def audio_level(path, offset):
    """sox's RMS and maximum amplitude (0..1) of what the guest played since `offset` bytes into the WAV file."""
    with open(path, "rb") as f:
        header = f.read(44)
        f.seek(max(offset, 44))
        data = f.read()
    if len(header) < 44 or len(data) < 4:
        return 0.0, 0.0
    channels, rate, bits = struct.unpack("<H", header[22:24])[0], struct.unpack("<I", header[24:28])[0], \
        struct.unpack("<H", header[34:36])[0]
    frame = channels * bits // 8
    data = data[:len(data) - len(data) % frame]
    segment = path + ".segment.wav"
    with wave.open(segment, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(bits // 8)
        w.setframerate(rate)
        w.writeframes(data)
    stat = subprocess.run(["sox", segment, "-n", "stat"], capture_output=True, text=True).stderr
    os.unlink(segment)
    rms = re.search(r"RMS\s+amplitude:\s+([0-9.]+)", stat)
    peak = re.search(r"Maximum amplitude:\s+([0-9.-]+)", stat)
    return (float(rms.group(1)) if rms else 0.0), (abs(float(peak.group(1))) if peak else 0.0)


def _tail(path):
    try:
        with open(path, errors="replace") as f:
            return " ".join(f.read().split())[-300:]
    except OSError:
        return ""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("check", "screens"), default="check")
    parser.add_argument("--run", required=True)
    parser.add_argument("--results", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pin", required=True)
    parser.add_argument("--repo", required=True)
    args = parser.parse_args()
    run = Run(args)
    started = time.monotonic()
    run.accel, why = run.choose_accel()
    note(f"accelerator: {run.accel.upper()} ({why})")
    try:
        if args.mode == "check":
            run.run_check()
        else:
            run.run_screens()
    except CheckError as e:
        run.report.fail(f"the run stopped: {e}")
    note(f"accelerator {run.accel.upper()}; " + "; ".join(f"{name} {s:.0f} s" for name, s in run.timings)
         + f"; all checks {time.monotonic() - started:.0f} s")
    # The count, as a test runner closes: one line.
    kinds = [line.split(":", 1)[0] for line in run.report.lines]
    print(f"boot: {kinds.count('ok')} passed, {kinds.count('FAILED')} failed, {kinds.count('skipped')} skipped",
          flush=True)
    return 1 if run.report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
