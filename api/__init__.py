"""The HTTP frontends: the JSON API, the OpenAI-compatible chat API and the web chat, over one `QAPipeline`."""
