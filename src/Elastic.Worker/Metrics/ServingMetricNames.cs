namespace Elastic.Worker.Metrics;

/// <summary>Metric names in one place: vLLM's names with the <c>elastic_</c> prefix, so vLLM dashboards and alerts translate directly.</summary>
public static class ServingMetricNames
{
    public const string RequestsRunning = "elastic_num_requests_running";
    public const string RequestsWaiting = "elastic_num_requests_waiting";
    public const string KvCacheUsage = "elastic_kv_cache_usage_perc";
    public const string TimeToFirstToken = "elastic_time_to_first_token_seconds";
    public const string InterTokenLatency = "elastic_inter_token_latency_seconds";
    public const string EndToEndLatency = "elastic_e2e_request_latency_seconds";
    public const string QueueTime = "elastic_request_queue_time_seconds";
    public const string PromptTokens = "elastic_prompt_tokens_total";
    public const string GenerationTokens = "elastic_generation_tokens_total";
    public const string Requests = "elastic_requests_total";
    public const string ExpertTokens = "elastic_expert_tokens_total";
    public const string Preemptions = "elastic_num_preemptions_total";

    // Elastic's own: what disaggregation and expert parallelism move between silos.
    public const string KvTransferBytes = "elastic_kv_transfer_bytes_total";
    public const string KvTransferTokens = "elastic_kv_transfer_tokens_total";
    public const string ExpertDispatchBytes = "elastic_expert_dispatch_bytes_total";
    public const string ExpertDispatchCalls = "elastic_expert_dispatch_calls_total";
    public const string ExpertInProcessCalls = "elastic_expert_inprocess_calls_total";
}
