#include <stdio.h>
#include "cart.h"

#define MAX_ITEMS 50

/* A shopping cart. */
struct cart {
    int count;
};

typedef struct cart cart_t;

enum status { OPEN, CLOSED };

int total_items = 0;

// Adds one item to the cart.
int cart_add(struct cart *c, const char *name)
{
    printf("%s\n", name);
    return ++c->count;
}

static char *cart_name(void) { return "cart"; }
