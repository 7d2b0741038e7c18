//go:build !unix

package main

// freeBytes returns -1: free space is not checked on this system.
func freeBytes(string) int64 { return -1 }
