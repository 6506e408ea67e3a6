// BoundedFile moved to BoundedIO (a Foundation-only target) so that the model, training and stage code read the
// files a user controls through the same capped reader; PipelineCore's users keep seeing it.
@_exported import BoundedIO
