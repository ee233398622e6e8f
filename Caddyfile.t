{
	admin off
	auto_https off
}
http://:38112 {
	bind 127.0.0.1
	reverse_proxy 127.0.0.1:38111 {
		trusted_proxies private_ranges
	}
}
