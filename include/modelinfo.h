/*
 * modelinfo.h: GET /model/info and GET /model_group/info (modelinfo.c),
 * the deployment and model group descriptions LiteLLM's clients and its
 * admin UI read.
 */
#ifndef MODELINFO_H
#define MODELINFO_H

#include "llmux.h"

/*
 * Answer r (key already checked) with every deployment the caller may
 * use: model_name, litellm_params without any key or secret, model_info
 * completed from the price map.  ?litellm_model_id=ID narrows the list to
 * one deployment (400 when there is none).  Finishes r.
 */
void	mi_model_info(struct req *r, const char *arg);
/*
 * Answer r with one entry per model group (and visible alias) the caller
 * may use, in LiteLLM's ModelGroupInfo shape; ?model_group=NAME narrows
 * it.  Finishes r.
 */
void	mi_group_info(struct req *r, const char *arg);

#endif
