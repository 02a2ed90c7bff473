#ifndef GLIMPSE_DNNL_H
#define GLIMPSE_DNNL_H

/* A chain of convolutions run by oneDNN in the layouts it prefers (blocked channels), with bias,
   batch norm already folded in, ReLU6 or ReLU and residual sums fused, and 2×2 max-pools: the
   fast path of the photo encoder and of cnn-small with fixed weights.
   oneDNN is loaded with dlopen when first needed; without it every call reports why. */

#define GLIMPSE_DNNL_MESSAGE_LENGTH 256

typedef struct {
  int in_channels, out_channels, kernel, stride;
  int groups;                 /* 1, or in_channels for a depthwise convolution */
  int pad_before, pad_after;  /* on both axes: TensorFlow "same" puts the odd pixel after */
  int input;                  /* the convolution whose output it reads; -1: the images */
  int residual;               /* the convolution whose output it adds (and overwrites); -1: none */
  int relu6;                  /* clip to [0, 6] after the bias (and the residual) */
  int relu;                   /* max(0, ·) after the bias */
  int pool;                   /* then a 2×2 max-pool of stride 2: the value others read is the pooled one */
  const float *weights;       /* [out, in / groups, k, k], read while the network is made */
  const float *bias;          /* [out], read on every run */
  int direct;                 /* training: direct convolutions; 0: oneDNN's own choice of algorithm */
} glimpse_dnnl_conv;

typedef struct glimpse_dnnl_network glimpse_dnnl_network;

/* 1 if oneDNN can be used; else 0 and why, in `message`. */
int glimpse_dnnl_available(char message[GLIMPSE_DNNL_MESSAGE_LENGTH]);

/* Builds the chain for `batch` images of `channels`×`side`×`side`; the last convolution's output is
   written as [batch, side'·side', channels'] (the grid). NULL and why on failure. */
glimpse_dnnl_network *glimpse_dnnl_create(int batch, int channels, int side, const glimpse_dnnl_conv *convs,
                                          int count, char message[GLIMPSE_DNNL_MESSAGE_LENGTH]);

/* images [batch, channels, side, side] (normalised) → grid. 0, or 1 and why. */
int glimpse_dnnl_run(glimpse_dnnl_network *network, const float *images, float *grid,
                     char message[GLIMPSE_DNNL_MESSAGE_LENGTH]);

void glimpse_dnnl_destroy(glimpse_dnnl_network *network);

/* The same kind of chain in training, for weights that change between runs: each convolution reads
   the one before (groups 1, stride 1, ReLU, an optional pool; its weights and bias pointers are not
   used), and the forward pass keeps what the backward pass reads (the activations, the pools'
   choices). A convolution's three passes run as oneDNN chooses, or as direct convolutions where
   `direct` is set. Both passes run on the calling thread alone. */
typedef struct glimpse_dnnl_trainer glimpse_dnnl_trainer;

glimpse_dnnl_trainer *glimpse_dnnl_trainer_create(int batch, int channels, int side, const glimpse_dnnl_conv *convs,
                                                  int count, char message[GLIMPSE_DNNL_MESSAGE_LENGTH]);

/* images [batch, channels, side, side] (normalised) → grid [batch, side'·side', channels'], with each
   convolution's weights [out, in, k, k] and bias [out] read from weights[i] and biases[i] now. */
int glimpse_dnnl_trainer_forward(glimpse_dnnl_trainer *trainer, const float *images, const float *const *weights,
                                 const float *const *biases, float *grid, char message[GLIMPSE_DNNL_MESSAGE_LENGTH]);

/* After a forward pass: from the grid's gradient (as the grid), each convolution's weight and bias
   gradients, written (not added) to dweights[i] [out, in, k, k] and dbiases[i] [out]. */
int glimpse_dnnl_trainer_backward(glimpse_dnnl_trainer *trainer, const float *dgrid, float *const *dweights,
                                  float *const *dbiases, char message[GLIMPSE_DNNL_MESSAGE_LENGTH]);

void glimpse_dnnl_trainer_destroy(glimpse_dnnl_trainer *trainer);

#endif
