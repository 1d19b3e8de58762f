/*
 * cfg_yaml.c: one YAML document from libyaml's event parser into a
 * yaml_document_t, as yaml_parser_load() builds it, with the anchors in a
 * hash.
 *
 * libyaml's own loader keeps a document's anchors in a list and scans it
 * for every anchor (to refuse a duplicate) and every alias, so 200,000
 * anchors take minutes.  This composer reads the same events and builds
 * the same document (nodes in event order, root first, each with its
 * marks), so the rest of the loader works on libyaml's structure; it does
 * not keep tags, which the loader never reads.  Errors are libyaml's own,
 * left in the parser's error fields, so that cfg_read() reports both kinds
 * alike.  Memory is allocated with malloc(), which is what
 * yaml_document_delete() frees with.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cfg.h"
#include "cfg_int.h"

/* A collection still open: its node and, for a mapping, a waiting key. */
struct cfg_yopen {
	int	 id;
	int	 haskey;
};

struct cfg_ycomp {
	yaml_parser_t		*p;
	yaml_document_t		*doc;
	struct cfg_yopen	*open;
	size_t			 nopen, opencap;
	struct cfg_hash		 anchors;	/* name: node id */
	char			**names;	/* the anchor names, owned */
	size_t			 nnames, namecap;
};

static int
cfg_ycomp_nomem(struct cfg_ycomp *c)
{
	c->p->error = YAML_MEMORY_ERROR;
	c->p->problem = "out of memory";
	return (0);
}

/* Grow the stack of n items of sz at *start (start, top, end pointers). */
static int
cfg_ycomp_stack(void **start, void **top, void **end, size_t sz)
{
	size_t	 n = (size_t)((char *)*top - (char *)*start) / sz;
	size_t	 cap = (size_t)((char *)*end - (char *)*start) / sz;
	char	*p;

	if (n < cap)
		return (1);
	cap = cap == 0 ? 4 : cap * 2;
	if ((p = reallocarray(*start, cap, sz)) == NULL)
		return (0);
	*start = p;
	*top = p + n * sz;
	*end = p + cap * sz;
	return (1);
}

/* A new node (type and marks from ev); its id, or 0. */
static int
cfg_ycomp_node(struct cfg_ycomp *c, yaml_node_type_t type,
    const yaml_event_t *ev)
{
	yaml_document_t	*d = c->doc;
	yaml_node_t	*n;

	if (!cfg_ycomp_stack((void **)&d->nodes.start, (void **)&d->nodes.top,
	    (void **)&d->nodes.end, sizeof(*n)))
		return (0);
	n = d->nodes.top++;
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->start_mark = ev->start_mark;
	n->end_mark = ev->end_mark;
	return ((int)(d->nodes.top - d->nodes.start));
}

/*
 * Remember anchor (taken from the event) for node id.  A name given twice
 * is an error, as in libyaml and PyYAML.
 */
static int
cfg_ycomp_anchor(struct cfg_ycomp *c, yaml_char_t **anchor, int id)
{
	struct cfg_hent	*e;
	char		**nv;

	if (*anchor == NULL)
		return (1);
	if ((nv = cfg_grow(c->names, &c->namecap, c->nnames,
	    sizeof(*nv))) == NULL)
		return (cfg_ycomp_nomem(c));
	c->names = nv;
	nv[c->nnames++] = (char *)*anchor;
	*anchor = NULL;
	if ((e = cfg_hash_at(&c->anchors, nv[c->nnames - 1], 0, 1)) == NULL)
		return (cfg_ycomp_nomem(c));
	if (e->val != SIZE_MAX) {
		c->p->error = YAML_COMPOSER_ERROR;
		c->p->context = "found duplicate anchor; first occurrence";
		c->p->context_mark = c->doc->nodes.start[e->val - 1].start_mark;
		c->p->problem = "second occurrence";
		c->p->problem_mark = c->doc->nodes.start[id - 1].start_mark;
		return (0);
	}
	e->val = (size_t)id;
	return (1);
}

/* Node id goes into the collection open last (none: it is the root). */
static int
cfg_ycomp_child(struct cfg_ycomp *c, int id)
{
	struct cfg_yopen	*o;
	yaml_node_t		*par;
	yaml_node_pair_t	 pair;

	if (c->nopen == 0)
		return (1);
	o = &c->open[c->nopen - 1];
	par = &c->doc->nodes.start[o->id - 1];
	if (par->type == YAML_SEQUENCE_NODE) {
		if (!cfg_ycomp_stack((void **)&par->data.sequence.items.start,
		    (void **)&par->data.sequence.items.top,
		    (void **)&par->data.sequence.items.end, sizeof(int)))
			return (cfg_ycomp_nomem(c));
		*par->data.sequence.items.top++ = id;
		return (1);
	}
	if (o->haskey) {
		par->data.mapping.pairs.top[-1].value = id;
		o->haskey = 0;
		return (1);
	}
	if (!cfg_ycomp_stack((void **)&par->data.mapping.pairs.start,
	    (void **)&par->data.mapping.pairs.top,
	    (void **)&par->data.mapping.pairs.end, sizeof(pair)))
		return (cfg_ycomp_nomem(c));
	pair.key = id;
	pair.value = 0;
	*par->data.mapping.pairs.top++ = pair;
	o->haskey = 1;
	return (1);
}

/* One event inside the document; *done once the root is complete. */
static int
cfg_ycomp_event(struct cfg_ycomp *c, yaml_event_t *ev, int *done)
{
	struct cfg_yopen	*o;
	struct cfg_hent		*e;
	yaml_node_t		*n;
	int			 id;

	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		e = cfg_hash_at(&c->anchors, (char *)ev->data.alias.anchor, 0,
		    0);
		if (e == NULL) {
			c->p->error = YAML_COMPOSER_ERROR;
			c->p->context = NULL;
			c->p->problem = "found undefined alias";
			c->p->problem_mark = ev->start_mark;
			return (0);
		}
		id = (int)e->val;
		break;
	case YAML_SCALAR_EVENT:
		if ((id = cfg_ycomp_node(c, YAML_SCALAR_NODE, ev)) == 0)
			return (cfg_ycomp_nomem(c));
		n = &c->doc->nodes.start[id - 1];
		n->data.scalar.value = ev->data.scalar.value;
		n->data.scalar.length = ev->data.scalar.length;
		n->data.scalar.style = ev->data.scalar.style;
		ev->data.scalar.value = NULL;	/* the node has it */
		if (!cfg_ycomp_anchor(c, &ev->data.scalar.anchor, id))
			return (0);
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		id = cfg_ycomp_node(c, ev->type == YAML_SEQUENCE_START_EVENT ?
		    YAML_SEQUENCE_NODE : YAML_MAPPING_NODE, ev);
		if (id == 0)
			return (cfg_ycomp_nomem(c));
		n = &c->doc->nodes.start[id - 1];
		if (ev->type == YAML_SEQUENCE_START_EVENT)
			n->data.sequence.style =
			    ev->data.sequence_start.style;
		else
			n->data.mapping.style = ev->data.mapping_start.style;
		if (!cfg_ycomp_anchor(c, ev->type == YAML_SEQUENCE_START_EVENT ?
		    &ev->data.sequence_start.anchor :
		    &ev->data.mapping_start.anchor, id) ||
		    !cfg_ycomp_child(c, id))
			return (0);
		if ((o = cfg_grow(c->open, &c->opencap, c->nopen,
		    sizeof(*o))) == NULL)
			return (cfg_ycomp_nomem(c));
		c->open = o;
		o[c->nopen].id = id;
		o[c->nopen++].haskey = 0;
		return (1);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (c->nopen == 0)
			return (1);	/* the parser does not allow it */
		id = c->open[--c->nopen].id;
		c->doc->nodes.start[id - 1].end_mark = ev->end_mark;
		*done = c->nopen == 0;
		return (1);
	default:
		return (1);
	}
	if (!cfg_ycomp_child(c, id))
		return (0);
	*done = c->nopen == 0;
	return (1);
}

int
cfg_yaml_load(struct cfg_yaml *y, yaml_document_t *doc)
{
	struct cfg_ycomp	 c;
	yaml_event_t		 ev;
	size_t			 i;
	int			 ok = 0, done = 0;

	memset(doc, 0, sizeof(*doc));
	memset(&c, 0, sizeof(c));
	c.p = y->p;
	c.doc = doc;
	if (!y->started) {
		if (!yaml_parser_parse(y->p, &ev))
			return (0);
		yaml_event_delete(&ev);		/* STREAM-START */
		y->started = 1;
	}
	if (y->ended)
		return (1);
	if (!yaml_parser_parse(y->p, &ev))
		return (0);
	if (ev.type == YAML_STREAM_END_EVENT) {
		y->ended = 1;
		yaml_event_delete(&ev);
		return (1);
	}
	doc->start_mark = ev.start_mark;
	doc->start_implicit = ev.data.document_start.implicit;
	yaml_event_delete(&ev);
	for (;;) {
		if (!yaml_parser_parse(y->p, &ev))
			goto out;
		if (ev.type == YAML_DOCUMENT_END_EVENT)
			break;
		if (done || !cfg_ycomp_event(&c, &ev, &done)) {
			yaml_event_delete(&ev);
			goto out;	/* nothing follows the root but its end */
		}
		yaml_event_delete(&ev);
	}
	doc->end_mark = ev.end_mark;
	doc->end_implicit = ev.data.document_end.implicit;
	yaml_event_delete(&ev);
	ok = 1;
 out:
	if (!ok)
		yaml_document_delete(doc);
	cfg_hash_free(&c.anchors);
	for (i = 0; i < c.nnames; i++)
		free(c.names[i]);
	free(c.names);
	free(c.open);
	return (ok);
}
