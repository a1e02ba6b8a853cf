/**
 * Customers: the CustomerRepo over a {@link SqlDriver} (the same SQL on SQLite and PostgreSQL).
 *
 * @module
 */
import type { Customer } from '../model';
import { newId } from '../util/ids';
import { type Param, type SqlDriver, StoreConflictError } from './driver';
import type { CustomerRepo } from './types';

import { json, toCustomer, first } from './rows';

export function sqlCustomerRepo(db: SqlDriver): CustomerRepo {
  const one = async (sql: string, params: Param[]) => first(await db.all(sql, params));
  return {
    async create(init = {}) {
      const now = Date.now();
      const customer: Customer = {
        id: newId('cus'),
        profile: init.profile ?? {},
        attributes: init.attributes ?? {},
        createdAt: now,
        updatedAt: now,
      };
      await db.run(
        'INSERT INTO customers (id, profile, attributes, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
        [customer.id, json(customer.profile), json(customer.attributes), now, now],
      );
      return customer;
    },
    async get(id) {
      const row = await one('SELECT * FROM customers WHERE id = ?', [id]);
      return row ? toCustomer(row) : null;
    },
    async update(id, patch) {
      return db.transaction(async (tx) => {
        const row = first(await tx.all('SELECT * FROM customers WHERE id = ?', [id]));
        if (!row) throw new StoreConflictError(`customer ${id} does not exist`);
        const current = toCustomer(row);
        const next: Customer = {
          ...current,
          profile: { ...current.profile, ...patch.profile },
          attributes: { ...current.attributes, ...patch.attributes },
          updatedAt: Date.now(),
        };
        await tx.run('UPDATE customers SET profile = ?, attributes = ?, updated_at = ? WHERE id = ?', [
          json(next.profile),
          json(next.attributes),
          next.updatedAt,
          id,
        ]);
        return next;
      });
    },
  };
}
