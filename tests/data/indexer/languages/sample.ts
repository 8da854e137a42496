import { Money } from "./money";
import * as util from "../util";

/** Something with a price. */
export interface Priced {
  price(): Money;
}

export type Id = string;

export enum Status { Open, Closed }

export const MAX_ITEMS = 50;

// A shopping cart.
export class Cart implements Priced {
  private items: string[] = [];

  add(name: string): void {
    this.items.push(util.clean(name));
  }

  price(): Money {
    return new Money(this.items.length);
  }
}

export function total(cart: Cart): number {
  return cart.price().amount;
}

export const format = (cart: Cart): string => `${total(cart)}`;
