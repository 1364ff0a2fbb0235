// Flowstate benchmarks: each figure next to its ceiling, measured in one run on this machine. One file per bench.
// Usage: ./flowstate bench [--seconds 15] [--rows 20000] [--sessions 100000] [--subscribers 1000] [--probe-rate 10] [--rounds 2]   (see CoreBench)
//        ./flowstate bench ingest [--sessions 100000] [--calls 100000] [--overload-seconds 30] [--year-sessions 1000000] [--year-people 5000]   (see IngestBench)
//        ./flowstate bench attribution [--people 5000] [--teams 300] [--sessions 1000000]   (see AttributionBench)
//        ./flowstate bench cluster [--seconds 15] [--rows 4000] [--clients 16]   (1 silo and 3 silos, SIGKILL recovery; see ClusterBench)
//        ./flowstate bench pulls [--people 5000] [--days 90] [--keys 300] [--ingest 10000]   (provider connectors; see PullsBench)
//        ./flowstate bench export [--rows 100000]   (FOCUS export of one period beside a raw COPY; see ExportBench)
using Flowstate.Bench;

return args.FirstOrDefault() switch
{
    "ingest" => await IngestBench.RunAsync(args),
    "attribution" => await AttributionBench.RunAsync(args),
    "cluster" => await ClusterBench.RunAsync(args),
    "pulls" => await PullsBench.RunAsync(args),
    "export" => await ExportBench.RunAsync(args),
    _ => await CoreBench.RunAsync(args),
};
