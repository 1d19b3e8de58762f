# price-tab.awk: data/model_prices.tsv (model, input and output price per
# token, max input tokens; tab-separated, sorted by model) to the C table
# price.c searches.  The build runs it; the output is never committed.
BEGIN {
	FS = "\t"
	print "/* Generated from data/model_prices.tsv by tools/price-tab.awk. */"
	print "#include <stddef.h>"
	print ""
	print "#include \"price.h\""
	print ""
	print "const struct price_row price_tab[] = {"
}
NF == 4 && $1 !~ /["\\]/ {
	printf "\t{ \"%s\", %s, %s, %s },\n", $1, $2, $3, $4
}
NF != 4 && NF != 0 {
	printf "price-tab.awk: line %d: %d fields, 4 expected\n", NR, NF \
	    > "/dev/stderr"
	exit 1
}
END {
	print "};"
	print ""
	print "const size_t price_ntab = sizeof(price_tab) / sizeof(price_tab[0]);"
}
