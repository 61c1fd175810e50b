// Package anthropic streams replies from Anthropic's Messages API:
// POST {base}/v1/messages with "stream": true and the x-api-key and
// anthropic-version: 2023-06-01 headers, answered by server-sent events
// message_start, content_block_start / content_block_delta /
// content_block_stop per content block, message_delta (stop reason and
// output usage) and message_stop, with ping and error interleaved.
//
// The Messages API shapes a conversation differently from llm.Request: the
// system prompt is a top-level field, tool calls are tool_use content blocks
// of an assistant message, and tool results go back as tool_result blocks of
// a user message, consecutive turns of one role being merged into a single
// message. A tool_use block's input arrives as input_json_delta fragments and
// is emitted as one llm.ToolCall at its content_block_stop. Stop reasons are
// translated to the llm.Finish* vocabulary.
package anthropic
