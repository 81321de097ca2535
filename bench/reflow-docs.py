"""Reflows the Markdown docs' paragraphs and list items to 120 columns, so that a hand edit that ran long goes back to
the docs' width. Only a paragraph or item holding a line past the width is touched; code blocks, tables, headings,
images, HTML comments (the generated blocks' markers) and quotes stay as they are, and no inline code span is split.
The words and their order never change.
Usage: python3 bench/reflow-docs.py [--check] FILE...   (--check lists the paragraphs it would reflow, exit 1 if any)"""
import re
import sys

from resultfiles import replace_file

WIDTH = 120
SPECIAL = ('|', '![', '<', '#', '>', '```')
BULLET = re.compile(r'^(\s*)([-*] |\d+\. )')


def words(text):
    """The text's words split on spaces outside inline code spans."""
    out, current, in_code = [], '', False
    for ch in text:
        if ch == '`':
            in_code = not in_code
        if ch == ' ' and not in_code:
            if current:
                out.append(current)
            current = ''
        else:
            current += ch
    if current:
        out.append(current)
    return out


def fill(lead, indent, text):
    """Greedy fill: as many words per line as fit the width; the first line starts with lead, the rest with indent."""
    lines, current, first = [], lead, True
    for w in words(text):
        if not first and len(current) + 1 + len(w) > WIDTH:
            lines.append(current)
            current = indent + w
        else:
            current += ('' if first else ' ') + w
        first = False
    lines.append(current)
    return lines


def items(block):
    """A block of prose lines split into paragraphs or list items: [lead, indent, lines]."""
    result = []
    for line in block:
        m = BULLET.match(line)
        if m or not result:
            lead = m.group(0) if m else re.match(r'^\s*', line).group(0)
            result.append([lead, ' ' * len(lead), [line]])
        else:
            result[-1][2].append(line)
    return result


def reflow(text):
    """The text with every over-long paragraph or item refilled; also how many changed (one whose long line is a single
    unbreakable code span stays as it is)."""
    out, block, fence, changed = [], [], False, 0

    def flush():
        nonlocal changed
        for lead, indent, lines in items(block):
            long = any(len(l) > WIDTH for l in lines)
            balanced = sum(l.count('`') for l in lines) % 2 == 0
            indented = all(i == 0 or l.startswith(indent) for i, l in enumerate(lines))
            if long and balanced and indented:
                joined = ' '.join(l.strip() for l in lines)[len(lead.strip()):].strip()
                filled = fill(lead, indent, joined)
                changed += filled != lines
                out.extend(filled)
            else:
                out.extend(lines)
        block.clear()

    for line in text.split('\n'):
        stripped = line.lstrip()
        if stripped.startswith('```'):
            flush()
            fence = not fence
            out.append(line)
        elif fence or not stripped or stripped.startswith(SPECIAL) or line.endswith('  '):
            flush()
            out.append(line)
        else:
            block.append(line)
    flush()
    return '\n'.join(out), changed


def main(argv):
    check = '--check' in argv
    paths = [a for a in argv if a != '--check']
    if not paths:
        sys.exit(__doc__.splitlines()[-1])
    pending = 0
    for path in paths:
        try:
            with open(path, encoding='utf-8') as f:
                text = f.read()
        except OSError as e:
            sys.exit(f"reflow-docs: cannot read '{path}': {e.strerror}")
        new, changed = reflow(text)
        if changed and check:
            print(f"{path}: {changed} paragraph(s) past {WIDTH} columns")
            pending += changed
        elif changed:
            replace_file(path, new)
            print(f"{path}: {changed} paragraph(s) reflowed")
    return 1 if pending else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
