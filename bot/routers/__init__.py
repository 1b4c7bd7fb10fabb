"""One Router per feature; `bot.dispatcher.build_dispatcher` composes them."""
