"""The whole product put together: the composition root (`jauap.web`) and tools that span every part (`envdoc`)."""
