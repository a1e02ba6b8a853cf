/**
 * The sample bot's actions: what its flows' `call:` steps run. An action gets the step's
 * `with:` values as `args` (plus the slots and the customer) and returns what the step stores
 * in its `result:` slot. Throwing (or timing out) takes the step's `on_error:` path.
 *
 * Here the "shop system" is a JSON file; a real bot would call its shop's API.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Action } from '../src/flows';

interface Order {
  status: 'processing' | 'shipped' | 'delivered';
  items: string[];
  delivered: boolean;
  carrier?: string;
  tracking?: string;
  eta?: string;
  deliveredOn?: string;
}

function orders(): Record<string, Order> {
  return JSON.parse(readFileSync(path.join(__dirname, '..', 'shop-data', 'orders.json'), 'utf8'));
}

/** "ord 10001", "ORD10001", "ord-10001" → "ORD-10001". */
function canonical(orderNumber: unknown): string {
  const digits = String(orderNumber ?? '').replace(/\D/g, '');
  return `ORD-${digits}`;
}

interface Product {
  name: string;
  price: number;
  stock: number;
  /** ISO date the next delivery is expected. */
  restock?: string;
}

function products(): Record<string, Product> {
  return JSON.parse(readFileSync(path.join(__dirname, '..', 'shop-data', 'products.json'), 'utf8'));
}

const returnsCreated = new Map<string, string>();

export const actions: Record<string, Action> = {
  lookup_order: ({ args }) => {
    const id = canonical(args.order_id);
    const order = orders()[id];
    return order ? { found: true, id, ...order } : { found: false, id };
  },

  create_return: ({ args }) => {
    const id = canonical(args.order_id);
    // Idempotent per order: a message handled twice (after a crash) creates one return.
    let rma = returnsCreated.get(id);
    if (!rma) {
      rma = `RMA-${id.slice(4)}-${String(returnsCreated.size + 1).padStart(2, '0')}`;
      returnsCreated.set(id, rma);
    }
    return { id: rma, label: `https://northwind.example/returns/${rma}.pdf` };
  },

  /** The `product` entity's value is the catalogue key (intents/shop.yml). */
  lookup_product: ({ args }) => {
    const key = String(args.product ?? '');
    const product = products()[key];
    return product ? { found: true, key, ...product, inStock: product.stock > 0 } : { found: false, key };
  },

  change_address: ({ args }) => {
    const id = canonical(args.order_id);
    const order = orders()[id];
    if (!order) return { ok: false, reason: 'not_found' };
    if (order.status !== 'processing') return { ok: false, reason: 'shipped' };
    return { ok: true };
  },
};
