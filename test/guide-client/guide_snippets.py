# The caller-visibility guide's Python client, copied verbatim (the code blocks of
# shared/seed/caller-visibility-guide.md that define these functions). Do not edit the functions:
# test/guide-client/guide-client.test.ts checks they still match the guide, and runs them
# against `bulk serve`.
import requests
import time

def monitor_bulk_job(base_url, job_id, max_wait_time=300):
    """Monitor job with intelligent polling."""
    start_time = time.time()
    poll_interval = 2  # Start with 2 seconds
    
    while True:
        # Check timeout
        if time.time() - start_time > max_wait_time:
            raise TimeoutError(f"Job {job_id} did not complete within {max_wait_time} seconds")
        
        # Get status
        response = requests.get(f"{base_url}/api/jobs/{job_id}/status/")
        status_data = response.json()
        
        # Print progress
        print(f"🔄 {status_data['message']}")
        if status_data.get('estimated_remaining'):
            print(f"   ⏱️  {status_data['estimated_remaining']} remaining")
        
        # Check if complete
        if status_data["state"] in ["Job Complete", "Failed", "Aborted"]:
            return status_data
        
        # Intelligent backoff
        if status_data["percentage"] > 50:
            poll_interval = min(poll_interval * 1.5, 10)
        elif status_data["percentage"] > 25:
            poll_interval = min(poll_interval * 1.2, 5)
        
        time.sleep(poll_interval)


def handle_job_with_retry(base_url, job_id, max_retries=3):
    """Handle job completion with retry logic."""
    
    for attempt in range(max_retries):
        try:
            status = monitor_bulk_job(base_url, job_id)
            
            if status["state"] == "Job Complete":
                print(f"✅ Job completed successfully!")
                print(f"   📊 Success: {status['success_count']}, Errors: {status['error_count']}")
                return status
            elif status["state"] == "Failed":
                print(f"❌ Job failed: {status.get('errors', 'Unknown error')}")
                if attempt < max_retries - 1:
                    print(f"🔄 Retrying... (attempt {attempt + 2}/{max_retries})")
                    time.sleep(2 ** attempt)  # Exponential backoff
                else:
                    raise Exception("All retry attempts failed")
            else:
                print(f"⏹️  Job aborted")
                return status
                
        except Exception as e:
            if attempt == max_retries - 1:
                raise e
            print(f"⚠️  Attempt {attempt + 1} failed: {e}")
            time.sleep(2 ** attempt)


def process_large_dataset(base_url, data, batch_size=100):
    """Process large datasets in batches with progress tracking."""
    
    batches = [data[i:i + batch_size] for i in range(0, len(data), batch_size)]
    results = []
    
    print(f"📦 Processing {len(data)} items in {len(batches)} batches...")
    
    for i, batch in enumerate(batches, 1):
        print(f"\n🔄 Batch {i}/{len(batches)} ({len(batch)} items)...")
        
        # Start batch
        response = requests.post(f"{base_url}/api/transactions/bulk/", json=batch)
        job_info = response.json()
        
        # Monitor batch
        status = monitor_bulk_job(base_url, job_info["job_id"])
        
        if status["state"] == "Job Complete":
            results.append({
                "batch": i,
                "success_count": status["success_count"],
                "error_count": status["error_count"]
            })
            print(f"✅ Batch {i} completed")
        else:
            print(f"❌ Batch {i} failed: {status['state']}")
    
    return results
