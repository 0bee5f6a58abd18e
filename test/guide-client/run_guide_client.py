"""Drives the guide's own functions against a running server: python3 run_guide_client.py BASE_URL N."""
import json
import sys

from guide_snippets import handle_job_with_retry, monitor_bulk_job, process_large_dataset
import requests

base_url = sys.argv[1]
n = int(sys.argv[2])
data = [
    {
        "account_id": 2000 + i % 40,
        "amount": f"{i}.50",
        "transaction_date": "2024-05-01",
        "description": f"guide-{i}",
        "category": "guide",
    }
    for i in range(n)
]
data[3]["amount"] = "not money"

results = process_large_dataset(base_url, data, batch_size=25)

one = requests.post(f"{base_url}/api/transactions/bulk/", json=data[:2]).json()
watched = monitor_bulk_job(base_url, one["job_id"], max_wait_time=60)
final = handle_job_with_retry(base_url, one["job_id"])
aggregates = requests.get(f"{base_url}{one['aggregates_url']}").json()
print("RESULT " + json.dumps({"results": results, "monitor_state": watched["state"], "monitor_errors": watched["errors"], "retry_state": final["state"], "aggregates": aggregates}))
