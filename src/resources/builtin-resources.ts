/**
 * The guide's `transactions` resource, written in the same format as a --resources file so the
 * built-in and custom resources go through one loader.
 *
 * Its unique key is (account_id, transaction_date, description). The SQLite index behind it leads
 * with the date (see indexColumns in sqlite-schema.ts): transaction files come in date order.
 */
export const BUILTIN_RESOURCES = {
  resources: {
    transactions: {
      fields: {
        account_id: { type: 'integer', required: true },
        amount: { type: 'decimal', required: true, scale: 2 },
        transaction_date: { type: 'date', required: true },
        description: { type: 'text', max_length: 500 },
        category: { type: 'text', max_length: 100 },
      },
      unique: [['account_id', 'transaction_date', 'description']],
      aggregates: {
        total_amount: { fn: 'sum', field: 'amount' },
        average_amount: { fn: 'avg', field: 'amount' },
        transaction_count: { fn: 'processed_count' },
        successful_transactions: { fn: 'success_count' },
        failed_transactions: { fn: 'error_count' },
      },
    },
  },
} as const;
