"""Reflows the Markdown docs' paragraphs and list items to 120 columns, so that a hand edit that ran long goes back to
the docs' width. Only a paragraph or item holding a line past the width is touched; code blocks (fenced or indented;
inside a list item, fence them), tables, headings, images, HTML comments (the generated blocks' markers) and quotes
stay as they are, and no inline code span is split. The words and their order never change.
Usage: python3 bench/reflow-docs.py [--check] FILE...   (--check lists the paragraphs it would reflow, exit 1 if any)
       python3 bench/reflow-docs.py --self-test          (the cases below, run by CI)"""
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

    # An indented code block: 4 spaces in after a blank line, outside a list (where such a line continues the item).
    # A heading ends a block as a blank line does. An HTML comment may run over several lines: all are kept.
    indented_code, in_list, previous_blank, comment = False, False, True, False
    for line in text.split('\n'):
        stripped = line.lstrip()
        four_in = line.startswith(('    ', '\t'))
        if comment or (not fence and stripped.startswith('<!--') and '-->' not in stripped):
            flush()
            comment = '-->' not in stripped if comment else True
            out.append(line)
            continue
        if indented_code and (not stripped or four_in):
            out.append(line)
        elif not fence and previous_blank and four_in and stripped and not in_list:
            flush()
            indented_code = True
            out.append(line)
        elif stripped.startswith('```'):
            flush()
            fence = not fence
            out.append(line)
        elif fence or not stripped or stripped.startswith(SPECIAL) or line.endswith('  '):
            flush()
            out.append(line)
        else:
            block.append(line)
        if stripped and not four_in:
            indented_code = False
            in_list = bool(BULLET.match(line)) or (in_list and line.startswith(' '))
        previous_blank = not stripped or (not fence and stripped.startswith('#'))
    flush()
    return '\n'.join(out), changed


def self_test():
    """A long paragraph and a long list item are refilled; a long line in a fenced or indented code block is not."""
    long = ' '.join(['word'] * 40)
    code = '    src/Project/' + ' ' * 10 + ' '.join(['code'] * 30)
    cases = [  # text, lines holding the words after, whether every line then fits the width
        (long, 2, True),
        (f'- {long}', 2, True),
        (f'Intro:\n\n{code}\n                         continued', 1, False),
        (f'```\n{long}\n```', 1, False),
        (f'- item\n\n    {long}', 2, True),  # inside a list, four spaces in continue the item: prose
        (f'## Layout\n{code}', 1, False),
        (f'<!-- a comment\n{long}\n-->\n\n{long}', 3, False),  # the comment's line stays, the paragraph after is refilled
    ]
    for text, lines, fits in cases:
        new, _ = reflow(text)
        got = [l for l in new.split('\n') if 'word' in l or 'code' in l]
        assert len(got) == lines and all(len(l) <= WIDTH for l in got) == fits, (text[:40], got)
        assert new.split() == text.split(), 'words changed'
    print('reflow-docs: self-test passed')
    return 0


def main(argv):
    if argv == ['--self-test']:
        return self_test()
    check = '--check' in argv
    paths = [a for a in argv if a != '--check']
    if not paths:
        sys.exit('\n'.join(__doc__.splitlines()[-2:]))
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
