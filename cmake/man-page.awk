# SPDX-License-Identifier: MIT
# awk -v root=SRCDIR -v version=V -f man-page.awk docs/man/PAGE.md > PAGE.md
#
# Expands a man page source (docs/man/*.md) into the Markdown go-md2man reads. A line
#   @include docs/FILE.md             inserts FILE without its title line
#   @include docs/FILE.md ## Heading  inserts that section's text (up to the next "## ")
# so the pages are the docs themselves and cannot drift from them. @VERSION@ becomes
# the project's version.
function include(file, heading,    line, inside, first, found, code) {
	inside = (heading == ""); first = 1; found = inside
	while ((getline line < file) > 0) {
		if (heading == "" && first && line ~ /^# /) { first = 0; continue }
		if (heading != "") {
			if (line == "## " heading) { inside = 1; found = 1; continue }
			if (inside && line ~ /^## /) break
		}
		if (line ~ /^```/) code = !code
		# go-md2man copies code verbatim: a line starting with "." or "'" would be
		# read as a roff request.
		if (code && line ~ /^[.']/) line = " " line
		if (inside) print line
	}
	close(file)
	if (!found) {
		print FILENAME ": no section '## " heading "' in " file > "/dev/stderr"
		exit 1
	}
}
/^@include / {
	heading = ""
	if (match($0, / ## /)) heading = substr($0, RSTART + 4)
	include(root "/" $2, heading)
	next
}
{ gsub(/@VERSION@/, version); print }
