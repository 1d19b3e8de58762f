/*
 * models.h: GET /models and /models/{id} (models.c), the model list a
 * key may see.
 */
#ifndef MODELS_H
#define MODELS_H

#include "llmux.h"

/*
 * Answer r (kind RK_MODELS, key already checked) with the list of
 * models, or with the one named id (NULL: all); 404 when id is unknown.
 * Finishes r.
 */
void	mdl_list(struct req *r, const char *id);
/*
 * May the caller of r use model?  The one place per-key model access is
 * decided; today every key may use every model.
 */
int	mdl_may_use(const struct req *r, const char *model);

#endif
