package shop

import (
	"fmt"
	str "strings"
)

// MaxItems caps a cart.
const MaxItems = 50

var defaultCart = Cart{}

// Cart holds items.
type Cart struct {
	Items []string
}

type Pricer interface {
	Price() float64
}

type Money float64

// Add puts an item in the cart.
func (c *Cart) Add(item string) {
	c.Items = append(c.Items, str.ToUpper(item))
}

func Total(c Cart) int {
	fmt.Println(len(c.Items))
	return len(c.Items)
}
