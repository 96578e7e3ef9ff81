#!/usr/bin/env python3
"""Write a small text PDF (standard Helvetica, one or more pages) from a
plain-text file: the demo knowledge base's PDF document and the tests'
fixtures. Usage: make_pdf.py TITLE IN.txt OUT.pdf   (a line "\f" starts a page)."""
import sys


def esc(s):
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def main():
    title, src, out = sys.argv[1], sys.argv[2], sys.argv[3]
    pages = [p.strip("\n").split("\n") for p in open(src, encoding="latin-1").read().split("\f\n")]
    objs = []  # bodies, 1-based object numbers
    objs.append("<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(None)  # pages, filled below
    objs.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids = []
    for lines in pages:
        ops = ["BT", "/F1 11 Tf", "14 TL", "56 790 Td"]
        for ln in lines:
            ops.append("(%s) Tj T*" % esc(ln))
        ops.append("ET")
        stream = "\n".join(ops)
        objs.append("<< /Length %d >>\nstream\n%s\nendstream" % (len(stream.encode("latin-1")), stream))
        content = len(objs)
        objs.append("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                    "/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content)
        kids.append(len(objs))
    objs[1] = "<< /Type /Pages /Kids [%s] /Count %d >>" % (" ".join("%d 0 R" % k for k in kids), len(kids))
    objs.append("<< /Title (%s) /Producer (make_pdf.py) >>" % esc(title))
    info = len(objs)
    body = b"%PDF-1.4\n"
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(body))
        body += ("%d 0 obj\n%s\nendobj\n" % (i, o)).encode("latin-1")
    xref = len(body)
    body += ("xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)).encode()
    for off in offsets:
        body += ("%010d 00000 n \n" % off).encode()
    body += ("trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
             % (len(objs) + 1, info, xref)).encode()
    open(out, "wb").write(body)


if __name__ == "__main__":
    main()
