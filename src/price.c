/*
 * price.c: lookups in the compiled price map (the table the build makes
 * from data/model_prices.tsv with tools/price-tab.awk).
 *
 * The table is LiteLLM's price map reduced to the fields the router reads
 * and sorted by name; tools/gen-price.mjs regenerates it from a newer map.
 * Lookups are a binary search, with no allocation, so the route stage can
 * call them per request.
 */
#include <stdlib.h>
#include <string.h>

#include "price.h"

static int
price_cmp(const void *key, const void *row)
{
	return (strcmp(key, ((const struct price_row *)row)->name));
}

const struct price_row *
price_find(const char *model)
{
	const struct price_row	*p;
	const char		*slash;

	if (model == NULL || *model == '\0')
		return (NULL);
	if ((p = bsearch(model, price_tab, price_ntab, sizeof(*price_tab),
	    price_cmp)) != NULL)
		return (p);
	/* "openai/gpt-4o" is priced as "gpt-4o". */
	if ((slash = strchr(model, '/')) != NULL && slash[1] != '\0')
		return (bsearch(slash + 1, price_tab, price_ntab,
		    sizeof(*price_tab), price_cmp));
	return (NULL);
}
