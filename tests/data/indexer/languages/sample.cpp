#include <string>
#include "money.hpp"

namespace shop {

/// A shopping cart.
class Cart {
public:
    void add(const std::string &name);
    int size() const { return count_; }
private:
    int count_ = 0;
};

void Cart::add(const std::string &name) {
    count_ += name.empty() ? 0 : 1;
}

struct Item { std::string name; };

using Price = double;

int total(const Cart &cart) { return cart.size(); }

}  // namespace shop
